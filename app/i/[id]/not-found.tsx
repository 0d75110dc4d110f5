export default function IncidentNotFound() {
  return (
    <main className="mx-auto max-w-2xl px-5 py-16" data-testid="incident-gone">
      <h1 className="text-xl font-semibold">No such incident</h1>
      <p className="mt-3 text-muted">
        Its owner deleted it, or the link is not complete. Shared incidents are never listed, so only the exact link opens one.
      </p>
      <p className="mt-6">
        <a href="/" className="text-accent underline">
          Open Hopscope
        </a>
      </p>
    </main>
  );
}
