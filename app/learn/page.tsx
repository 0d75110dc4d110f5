import type { Metadata } from 'next';
import { Suspense } from 'react';
import { LearnPage } from '@/components/learn/LearnPage';

export const metadata: Metadata = { title: 'Learn: encapsulation on real packets · Hopscope' };

export default function Learn() {
  // useSearchParams (lesson and step live in the URL) needs a Suspense boundary.
  return (
    <Suspense>
      <LearnPage />
    </Suspense>
  );
}
