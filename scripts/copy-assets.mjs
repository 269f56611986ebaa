// Copies non-TypeScript assets (status page files) next to the compiled code.
import { cpSync, existsSync } from 'node:fs';
const pairs = [['src/admin/status-page/assets', 'dist/admin/status-page/assets']];
for (const [from, to] of pairs) if (existsSync(from)) cpSync(from, to, { recursive: true });
