/** Addresses that mean "every interface": a browser cannot open them. */
const ANY = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * The address to print for staff: the host the studio binds to, or 127.0.0.1 when it binds to
 * every interface (the operator knows the machine's public name; this one works on the machine
 * itself and through an SSH tunnel). With a token, opening it once sets the cookie.
 */
export function studioAddress(host: string, port: number, token?: string): string {
  const shown = ANY.has(host)
    ? '127.0.0.1'
    : host.includes(':') && !host.startsWith('[')
      ? `[${host}]`
      : host;
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `http://${shown}:${port}/${query}`;
}
