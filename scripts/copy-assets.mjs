// Copies non-TypeScript assets (status page files) next to the compiled code.
import { chmodSync, cpSync, existsSync } from 'node:fs';
const pairs = [['src/admin/status-page/assets', 'dist/admin/status-page/assets']];
for (const [from, to] of pairs) if (existsSync(from)) cpSync(from, to, { recursive: true });
// `bin` target: executable, so a symlink on the PATH (install.sh) runs it directly.
if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
