#!/usr/bin/env bash
# What `npm test` runs: typecheck, unit tests (vitest), end-to-end tests (Playwright), then one
# summary line `N passed, N failed, N skipped` summed over vitest and Playwright.
# A stage that fails without reporting test counts (typecheck, a crash, no browser) counts as one
# failure, so the summary never reads "0 failed" when the exit status is not 0.
set -uo pipefail

cd "$(dirname "$0")/.."
REPORTS=test-results
VITEST_JSON="$REPORTS/vitest.json"
PLAYWRIGHT_JSON="$REPORTS/playwright.json"
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
export CHROMIUM_PATH
mkdir -p "$REPORTS"
rm -f "$VITEST_JSON" "$PLAYWRIGHT_JSON"

stage_failures=0
notes=()

# A fresh Debian machine lacks Debian's chromium: install it when we can (root or passwordless
# sudo), so the README's one test command really runs the whole suite.
if [ ! -x "$CHROMIUM_PATH" ] && [ "$CHROMIUM_PATH" = /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
  if [ "$SUDO" != none ]; then
    echo "installing Debian's chromium for the end-to-end tests"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null && \
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium </dev/null || true
  fi
fi

# PostgreSQL for the PostgreSQL store's tests, and for end-to-end tests that start servers on it:
# as root on Debian, scripts/test-postgres.sh installs and starts a local server and exports
# HOPSCOPE_TEST_DATABASE_URL to vitest and Playwright; a URL set by the caller is kept as it is.
# Without one those tests skip, saying why (under CI they fail instead).
if pg_env="$(bash scripts/test-postgres.sh --print-env </dev/null)"; then
  eval "$pg_env"
else
  notes+=("PostgreSQL setup failed (scripts/test-postgres.sh, see above); the PostgreSQL store tests were skipped")
fi

step() { printf '\n=== %s ===\n' "$1"; }

step "typecheck (tsc --noEmit)"
if ! npx tsc --noEmit; then
  stage_failures=$((stage_failures + 1))
  notes+=("typecheck failed")
fi

step "unit tests (vitest)"
npx vitest run --passWithNoTests --reporter=default --reporter=json --outputFile.json="$VITEST_JSON" </dev/null
vitest_rc=$?

step "end-to-end tests (playwright)"
if [ ! -x "$CHROMIUM_PATH" ]; then
  msg="Chromium not found at $CHROMIUM_PATH; the e2e tests need Debian's chromium. Install it with: sudo apt-get update && sudo apt-get install -y chromium"
  echo "$msg" >&2
  stage_failures=$((stage_failures + 1))
  notes+=("$msg")
  playwright_rc=1
else
  PLAYWRIGHT_JSON_OUTPUT_NAME="$PLAYWRIGHT_JSON" npx playwright test --reporter=list,json </dev/null
  playwright_rc=$?
fi

# Counts from the JSON reports; a missing or unreadable report after a failed run is one failure.
read -r passed failed skipped < <(node -e '
  const fs = require("node:fs");
  const [vitestFile, pwFile, vitestRc, pwRc, pwRan] = process.argv.slice(1);
  const load = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")); } catch { return null; } };
  let passed = 0, failed = 0, skipped = 0;
  const v = load(vitestFile);
  if (v) {
    passed += v.numPassedTests ?? 0;
    failed += v.numFailedTests ?? 0;
    skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
    // Suites that fail to load (syntax error, bad import) have no tests to count.
    if (Number(vitestRc) !== 0 && (v.numFailedTests ?? 0) === 0) failed += Math.max(1, v.numFailedTestSuites ?? 0);
  } else {
    failed += 1;
  }
  if (pwRan === "1") {
    const p = load(pwFile);
    if (p && p.stats) {
      passed += (p.stats.expected ?? 0) + (p.stats.flaky ?? 0);
      failed += p.stats.unexpected ?? 0;
      skipped += p.stats.skipped ?? 0;
      if (Number(pwRc) !== 0 && (p.stats.unexpected ?? 0) === 0) failed += 1;
    } else {
      failed += 1;
    }
  }
  console.log(passed, failed, skipped);
' "$VITEST_JSON" "$PLAYWRIGHT_JSON" "$vitest_rc" "$playwright_rc" "$([ -x "$CHROMIUM_PATH" ] && echo 1 || echo 0)")

failed=$((failed + stage_failures))

echo
for n in "${notes[@]+"${notes[@]}"}"; do echo "note: $n"; done
echo "$passed passed, $failed failed, $skipped skipped"

if [ "$failed" -gt 0 ] || [ "$vitest_rc" -ne 0 ] || [ "$playwright_rc" -ne 0 ]; then
  exit 1
fi
