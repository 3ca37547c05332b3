import { execFile } from 'node:child_process';

export type TlsVersion = 'tls1' | 'tls1_1' | 'tls1_2' | 'tls1_3';

/**
 * A TLS handshake with the real `openssl s_client`. The client is made willing to speak old
 * protocols (security level 0), so a refused TLS 1.0 or 1.1 handshake is the server's refusal.
 */
export function tlsHandshake(
  host: string,
  port: number,
  version: TlsVersion,
  caFile: string,
  /** Also require the certificate to name this host. */
  verifyHostname?: string,
): Promise<{ connected: boolean; verified: boolean; output: string }> {
  const args = ['s_client', '-connect', `${host}:${port}`, `-${version}`, '-CAfile', caFile, '-verify_return_error'];
  if (verifyHostname) args.push('-verify_hostname', verifyHostname);
  if (version !== 'tls1_3') args.push('-cipher', 'ALL:@SECLEVEL=0');
  return new Promise((resolve) => {
    // coreutils' timeout rather than execFile's: the client must end by itself even when the drill
    // exits first (Ctrl-C), or an orphan may wait for ever on a connection nothing answers.
    const child = execFile('timeout', ['10', 'openssl', ...args], (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      const connected = !error && /^(New|Reused), TLSv1(\.\d)?, Cipher is (?!\(NONE\))/m.test(output);
      resolve({ connected, verified: /Verify return code: 0 \(ok\)/.test(output), output });
    });
    child.stdin?.end();
  });
}
