import { expect, test, type Page } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { snapped } from '../lib/testing/pcap-records';
import { expectedKind, expectVerdict, scenarios, tempDir } from './fixtures';

const all = scenarios();
const byName = (name: string) => all.find((s) => s.name === name);
const SHOTS = path.join('test-results', 'screenshots');

async function upload(page: Page, files: string[]) {
  await page.goto('/');
  await page.getByTestId('file-input').setInputFiles(files);
  await expect(page.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(files.length, { timeout: 20_000 });
  await expectVerdict(page);
}

test.describe('dashboard on the captures engineers bring', () => {
  test.skip(all.length === 0, 'sample-captures/ is absent');

  test('-i any without a links file: roles are inferred and say so; the user corrects one, resets it; a links file names them', async ({ page }) => {
    const s = byName('any-sll2-forward-drop')!;
    const captures = s.files.filter((f) => f.endsWith('-any.pcap'));
    expect(captures).toHaveLength(2);
    await upload(page, captures);
    const rows = page.locator('[data-testid="point-row"]');
    // One capture point per interface of each node, none named yet.
    expect(await rows.count()).toBeGreaterThanOrEqual(6);
    // The file is still the node's `-i any`; its interfaces are the points below.
    await expect(page.getByLabel('Interface of node1-any.pcap')).toHaveValue('any');
    const inferred = page.locator('[data-testid="point-row"][data-role-source="inferred"]');
    await expect(inferred.first()).toBeVisible();
    await expect(page.getByTestId('analysis-notes')).toContainText(/inferred/i);
    await page.screenshot({ path: path.join(SHOTS, 'points-table-inferred.png'), fullPage: true });

    // The NIC carries the encapsulated copies: inferred as such. Call it "other" instead.
    const nic = page.locator('[data-testid="point-row"][data-role="nic"][data-role-source="inferred"]').first();
    const key = (await nic.getAttribute('data-point'))!;
    const row = page.locator(`[data-testid="point-row"][data-point="${key}"]`);
    await row.getByRole('combobox', { name: `Role of ${key}` }).selectOption('other');
    await expect(row).toHaveAttribute('data-role-source', 'user');
    await expect(row).toHaveAttribute('data-role', 'other');
    await row.getByRole('button', { name: `Forget the role set for ${key}` }).click();
    await expect(row).toHaveAttribute('data-role-source', 'inferred');
    await expect(row).toHaveAttribute('data-role', 'nic');

    // With each node's `ip -o link` beside the capture the points get their names, from the name.
    await upload(page, s.files.filter((f) => f.endsWith('-any.pcap') || f.endsWith('-links.txt')));
    await expect(page.locator('[data-testid="point-row"][data-point="node1/eth0"]')).toHaveAttribute('data-role-source', 'name');
    await expect(page.locator('[data-testid="point-row"][data-point="node2/flannel.1"]')).toHaveAttribute('data-role', 'overlay');
    await expect(page.getByTestId('verdict-card')).toHaveAttribute('data-stop', 'node2/flannel.1');
  });

  test("the -i any samples by link: each node's -i any in one pcapng is split and named by its links file, and the stop is found", async ({ page }) => {
    // SLL v1 records no interface: its inner packets are one point, the last the requests reach.
    for (const [name, kind, stop] of [
      ['any-sll2-forward-drop', 'request-dropped', 'node2/flannel.1'],
      ['any-sll1-forward-drop', 'no-reply', ''],
    ] as const) {
      await page.goto(`/?sample=${name}`);
      await expectVerdict(page);
      // The pcapng and both nodes' interface lists were loaded.
      await expect(page.locator('[data-testid="file-row"][data-status="loaded"]')).toHaveCount(3);
      await expect(page.getByTestId('verdict-card')).toHaveAttribute('data-kind', kind);
      await expect(page.getByTestId('verdict-card')).toHaveAttribute('data-stop', stop);
      await expect(page.getByTestId('verdict-card')).not.toContainText('no request of this flow was captured');
    }
    await expect(page.locator('[data-testid="point-row"][data-point="node1/any:underlay"]')).toHaveCount(1);
    await page.screenshot({ path: path.join(SHOTS, 'any-sll1-sample.png'), fullPage: true });
  });

  test('a busy node: one broken flow first, the background counted apart, and the list filters by verdict, port and address', async ({ page }) => {
    const s = byName('busy-node-broken-port')!;
    await upload(page, s.files);
    const rows = page.locator('[data-testid="flow-row"]');
    expect(await rows.count()).toBeGreaterThan(10);
    const broken = s.flows[0]!;
    await expect(rows.first()).toHaveAttribute('data-client-port', String(broken.match.clientPort));
    await expect(rows.first()).toHaveAttribute('data-kind', /^(?!delivered)/);
    await expect(rows.nth(1)).toHaveAttribute('data-kind', 'delivered');
    await expect(page.getByTestId('background-count')).toContainText(/\d+ background/);
    await page.screenshot({ path: path.join(SHOTS, 'busy-node.png'), fullPage: true });

    const kind = (await rows.first().getAttribute('data-kind'))!;
    await page.getByRole('combobox', { name: 'Verdict filter' }).selectOption(kind);
    await expect(rows).toHaveCount(1);
    await page.getByRole('combobox', { name: 'Verdict filter' }).selectOption('all');
    await page.getByRole('searchbox', { name: 'Search flows' }).fill(`port:${broken.match.clientPort}`);
    await expect(rows).toHaveCount(1);
    // Client or server: every row left names the address, and the healthy flows of other pods are
    // gone; cleared, they are back. The list follows the search a frame or two later (a deferred
    // render), and draws only the rows in view: what is checked is which rows, not how many.
    const others = async () => (await rows.allTextContents()).filter((t) => !t.includes(broken.client.ip)).length;
    await page.getByRole('searchbox', { name: 'Search flows' }).fill(`addr:${broken.client.ip}`);
    await expect.poll(others).toBe(0);
    expect(await rows.count()).toBeGreaterThanOrEqual(1);
    await page.getByRole('searchbox', { name: 'Search flows' }).fill('');
    await expect.poll(others).toBeGreaterThan(0);
  });

  test('capture windows: each point shows its window, and the ladder says which lanes had not started', async ({ page }) => {
    const s = byName('capture-windows-port-drop')!;
    await upload(page, s.files.filter((f) => f.endsWith('.pcap')));
    const windows = page.locator('[data-testid="point-window"]');
    expect(await windows.count()).toBe(s.files.filter((f) => f.endsWith('.pcap')).length);
    for (const t of await windows.allTextContents()) expect(t).toMatch(/^\d\d:\d\d:\d\d\.\d{3} – \d\d:\d\d:\d\d\.\d{3}$/);
    // An early healthy exchange, all on node1 before node2's captures started: its lanes on node2
    // say the capture had not started, not that the packet was lost there.
    const early = (s.truth.healthy ?? []).find((h) => h.id === 'http-0')!;
    expect(early.requests.seenAt['node2/eth0'] ?? 0).toBe(0);
    const row = page.locator(`[data-testid="flow-row"][data-client-port="${early.match.clientPort}"]`);
    await row.click();
    await expect(row).toHaveAttribute('data-kind', 'delivered');
    // Delivered: no stop on the card or the diagram, although node2 never saw it.
    await expect(page.getByTestId('verdict-card')).toHaveAttribute('data-stop', '');
    await expect(page.getByTestId('hop-panel').locator('[data-break]')).toHaveCount(0);
    await page.locator('[data-testid="packet-row"]').first().click();
    await expect(page.locator('[data-testid="lane-window"]').first()).toContainText(/^captured \d\d:/);
    await expect(page.locator('[data-lane^="node2/"][data-capture="before"]').first()).toBeVisible();
    await expect(page.locator('[data-lane^="node2/"][data-capture="not-seen"]')).toHaveCount(0);
    await page.screenshot({ path: path.join(SHOTS, 'ladder-windows.png'), fullPage: true });
  });

  test('captures inside pods: each placed on its node, and the points a flow cannot cross are off its path', async ({ page }) => {
    const s = byName('pods-captured-inside-port-drop')!;
    await upload(page, s.files.filter((f) => f.endsWith('.pcap')));
    // pod-a's own eth0 is a pod point of node1, not a NIC: said so, and correctable.
    const podA = page.locator('[data-testid="point-row"][data-point="pod-a/eth0"]');
    await expect(podA).toHaveAttribute('data-role', 'pod');
    await expect(podA).toHaveAttribute('data-role-source', 'inferred');
    await expect(page.getByTestId('analysis-notes')).toContainText('pod-a/eth0 is a capture inside a pod on node1');
    // The note says how to undo that here, in this table, not with the CLI's --role.
    await expect(page.getByTestId('analysis-notes')).toContainText('(correct it in the capture points table: pod-a/eth0 as node NIC)');
    await expect(page.getByTestId('analysis-notes')).not.toContainText('--role');
    await page.getByTestId('points-table').screenshot({ path: path.join(SHOTS, 'points-notes.png') });
    // Worst first: the dropped port, stopping at node1's NIC; pod-c's eth0 is not on its path.
    const dropped = s.flows.find((f) => f.id === 'tcp-9090-b-a')!;
    const rows = page.locator('[data-testid="flow-row"]');
    await expect(rows.first()).toHaveAttribute('data-client-port', String(dropped.match.clientPort));
    await expect(page.getByTestId('verdict-card')).toHaveAttribute('data-stop', dropped.requests.lastReached!);
    await expect(page.getByTestId('verdict-off-path')).toContainText("pod-c/eth0 — another pod's interface");
    // A same-node flow: one host box, node1, holding both pods' eth0; the NICs are off its path.
    const sameNode = s.flows.find((f) => f.id === 'dns-c-a')!;
    await page.locator(`[data-testid="flow-row"][data-client-port="${sameNode.match.clientPort}"]`).click();
    await expectVerdict(page, 'delivered');
    await expect(page.locator('[data-host]')).toHaveCount(1);
    await expect(page.locator('[data-host="node1"]')).toBeVisible();
    await expect(page.getByTestId('verdict-off-path')).toContainText('node1/eth0 — the flow does not cross it on node1');
    await expect(page.getByTestId('verdict-off-path')).toContainText('node2/eth0');
    await page.screenshot({ path: path.join(SHOTS, 'pods-inside.png'), fullPage: true });
  });

  test('a capture written as a file a second: the files of one interface are one capture point, and a packet names its file and frame', async ({ page }) => {
    const s = byName('rotated-captures-port-drop')!;
    const files = Object.values(s.truth.rotated!).flat().map((f) => path.join(s.dir, f));
    expect(files.length).toBeGreaterThan(16);
    await upload(page, files);
    // Eight points, as the lab captured, each holding every file of its rotating capture.
    await expect(page.locator('[data-testid="point-row"]')).toHaveCount(8);
    await expect(page.getByTestId('analysis-notes')).toContainText('one capture of node1/eth0 written as');
    const broken = s.flows[0]!;
    await expect(page.getByTestId('verdict-card')).toHaveAttribute('data-kind', expectedKind(s, broken));
    await expect(page.getByTestId('verdict-card')).toHaveAttribute('data-stop', broken.requests.lastReached!);
    const eth0Files = s.truth.rotated!['node1/eth0']!;
    const late = path.basename(eth0Files.at(-2)!);
    await expect(page.getByLabel(`Interface of ${late}`)).toHaveValue('eth0');
    // Each file's row says its place among its capture's files (the lab lists them in time order).
    const lateRow = page.locator(`[data-testid="file-row"][data-file="${late}"]`);
    await expect(lateRow).toHaveAttribute('data-part', `${eth0Files.length - 1}/${eth0Files.length}`);
    await expect(lateRow).toContainText(`file ${eth0Files.length - 1} of ${eth0Files.length} of one capture`);
    // The ping at node1's eth0: each row says which file it is in, and the packet's anatomy shows that file's frame.
    await page.locator('[data-testid="flow-row"]').filter({ hasText: 'ICMP' }).first().click();
    const point = page.getByRole('combobox', { name: 'Capture point' });
    const eth0 = await point.locator('option').evaluateAll((os) => (os as HTMLOptionElement[]).find((o) => (o.textContent ?? '').startsWith('node1/eth0'))!.value);
    await point.selectOption(eth0);
    const row = page.locator('[data-testid="packet-row"]').nth(8);
    await expect(row).toHaveAttribute('title', /^frame \d+ of node1-eth0\.\d+\.pcap(\.gz)?$/);
    const title = (await row.getAttribute('title'))!;
    await row.click();
    await expect(page.getByTestId('ladder')).toContainText(title);
    await expect(page.getByTestId('anatomy-panel')).toContainText(title);
    await page.screenshot({ path: path.join(SHOTS, 'rotated-captures.png'), fullPage: true });
  });

  test('NICs captured with tcpdump -s 68: the Table view and the packet list say their inner packets were cut off, not a bare 0', async ({ page }) => {
    const s = byName('vxlan-8472-blocked')!;
    const dir = tempDir();
    const files = s.files.filter((f) => /node\d-[\w.]+\.pcap$/.test(f) && !f.endsWith('-any.pcap'));
    const written = await Promise.all(
      files.map(async (f) => {
        const to = path.join(dir, path.basename(f));
        writeFileSync(to, path.basename(f).includes('-eth0') ? await snapped(f, 68) : readFileSync(f));
        return to;
      }),
    );
    await upload(page, written);
    const panel = page.getByTestId('hop-panel');
    await panel.getByRole('button', { name: 'table' }).click();
    const cut = 'its snap length cut the tunnel packets before their inner packet: no evidence either way';
    for (const nic of ['node1/eth0', 'node2/eth0']) await expect(panel.locator(`tr[data-station="${nic}"]`)).toContainText(cut);
    await expect(panel.locator('tr[data-station="node1/flannel.1"]')).not.toContainText(cut);
    // The packet list's menu of points, and what it says when that point is chosen.
    const menu = page.getByRole('combobox', { name: 'Capture point', exact: true });
    await expect(menu.locator('option', { hasText: 'node1/eth0 (inner cut off)' })).toHaveCount(1);
    await menu.selectOption({ label: 'node1/eth0 (inner cut off)' });
    await expect(page.getByText("This capture point's snap length cut the tunnel packets before their inner packet")).toBeVisible();
    await panel.screenshot({ path: path.join(SHOTS, 'hop-table-inner-cut.png') });
  });
});
