/**
 * A throwaway nginx reverse proxy (Debian's nginx-light) in front of a local HTTP server, as an
 * ingress controller would be: it adds the client's address to X-Forwarded-For.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port';
import { stopProcess } from './process';

export interface NginxProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  destroy(): Promise<void>;
}

function findNginx(): string {
  for (const candidate of [process.env.NGINX_BIN, '/usr/sbin/nginx', '/usr/bin/nginx']) if (candidate && existsSync(candidate)) return candidate;
  throw new Error('nginx not found (Debian package "nginx-light"); run `bash scripts/ensure-system-packages.sh nginx-light` as root to install it.');
}

export async function startNginxProxy(upstream: string): Promise<NginxProxy> {
  const binary = findNginx();
  const dir = mkdtempSync(path.join(tmpdir(), 'nginx-test-'));
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass ${upstream};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`,
  );
  const child = spawn(binary, ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
    // Any answer (even 502 before the upstream listens) means nginx is up.
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error(`nginx did not start on ${port}: ${stderr}`);
    await delay(50);
  }
  return {
    url,
    async destroy() {
      // SIGQUIT: nginx's graceful shutdown.
      await stopProcess(child, 'SIGQUIT', 5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
