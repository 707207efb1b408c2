#!/usr/bin/env node
// The lab's traffic: small servers and clients run inside namespaces with
// `ip netns exec NS node traffic.mjs MODE ...`. Clients bind fixed source ports where the
// truth needs to know them, so a flow's 5-tuple is decided by the scenario, not by chance.
//
//   tcp-server HOST PORT                 answer one HTTP/1.0 request per connection
//   tcp-client HOST PORT [--port P] [--bind ADDR] [--expect-refused]
//   udp-server HOST PORT                 echo "pong <data>"
//   udp-client HOST PORT [--port P] [--count N] [--bind ADDR] [--expect-silence]
//   dns-server HOST PORT RECORDS_JSON    A records from {name: address}; NXDOMAIN otherwise
//   resolve NAME NAMESERVER [--search a,b] [--ndots N] [--port P]
//                                        glibc's search-list order, one A query at a time
//   proxy-lb HOST PORT TARGET TPORT [--version 1|2] [--bind ADDR] [--port P]
//                                        accept, connect to the target, send a PROXY header
//                                        naming the client, then relay both ways
import { createSocket } from 'node:dgram';
import { connect, createServer, isIPv6 } from 'node:net';

const [mode, ...rest] = process.argv.slice(2);
const BOOLEAN_FLAGS = new Set(['--expect-refused', '--expect-silence']);
const positional = [];
const options = new Map();
for (let i = 0; i < rest.length; i++) {
  if (BOOLEAN_FLAGS.has(rest[i])) options.set(rest[i].slice(2), true);
  else if (rest[i].startsWith('--')) options.set(rest[i].slice(2), rest[++i]);
  else positional.push(rest[i]);
}
const option = (name, fallback) => (options.has(name) ? options.get(name) : fallback);
const has = (name) => options.has(name);
const ready = () => console.log('ready');
const family = (host) => (isIPv6(host) ? 'udp6' : 'udp4');

function fail(message) {
  console.error(`traffic ${mode}: ${message}`);
  process.exit(1);
}
setTimeout(() => fail('timed out'), Number(option('timeout', 20000))).unref();

function tcpServer(host, port) {
  const server = createServer((socket) => {
    // What arrived, as the server saw it (after any NAT): scenarios read this from the log.
    console.log(`accepted ${socket.remoteAddress} ${socket.remotePort}`);
    let got = Buffer.alloc(0);
    let answered = false;
    socket.on('data', (d) => {
      got = Buffer.concat([got, d]);
      // A load balancer's PROXY header (v1 text line, v2 binary) comes first: skip it.
      const request = skipProxyHeader(got);
      if (!answered && request !== null && request.includes('\r\n\r\n')) {
        answered = true;
        // Answer, then half-close and wait for the client's FIN: the same teardown every run.
        socket.end('HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n');
      }
    });
    socket.on('error', () => {});
  });
  server.listen({ host, port }, ready);
}

const PROXY_V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);

/** The bytes after a PROXY protocol header, as text; null while the header is incomplete. */
function skipProxyHeader(b) {
  if (b.length >= 16 && b.subarray(0, 12).equals(PROXY_V2_SIGNATURE)) {
    const end = 16 + b.readUInt16BE(14);
    return b.length >= end ? b.subarray(end).toString() : null;
  }
  if (b.subarray(0, 6).toString() === 'PROXY ') {
    const end = b.indexOf('\r\n');
    return end < 0 ? null : b.subarray(end + 2).toString();
  }
  return b.toString();
}

function tcpClient(host, port) {
  const options = { host, port };
  if (option('port')) options.localPort = Number(option('port'));
  if (option('bind')) options.localAddress = option('bind');
  const socket = connect(options, () => socket.write(`GET / HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
  let reply = '';
  socket.on('data', (d) => (reply += d));
  socket.on('end', () => {
    socket.end();
    if (has('expect-refused')) fail('connected, but a refusal was expected');
    console.log(reply.split('\r\n')[0]);
  });
  socket.on('error', (error) => {
    if (has('expect-refused') && ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH'].includes(error.code)) {
      console.log(`refused: ${error.code}`);
      process.exit(0);
    }
    fail(error.message);
  });
}

function udpServer(host, port) {
  const socket = createSocket(family(host));
  socket.on('message', (data, peer) =>
    socket.send(Buffer.concat([Buffer.from('pong '), data]), peer.port, peer.address),
  );
  socket.bind(port, host, ready);
}

function udpClient(host, port) {
  const count = Number(option('count', 2));
  const socket = createSocket(family(host));
  let sent = 0;
  let answered = 0;
  const send = () => socket.send(Buffer.from(`ping ${sent++}`), port, host);
  socket.on('message', () => {
    answered++;
    if (answered === count) socket.close(() => console.log(`${answered} answers`));
    else send();
  });
  socket.on('error', (error) => fail(error.message));
  socket.bind(Number(option('port', 0)), option('bind'), () => {
    send();
    if (has('expect-silence')) {
      setTimeout(() => socket.close(() => console.log('no answer, as expected')), 500);
    }
  });
}

// --- DNS --------------------------------------------------------------------------------

function encodeName(name) {
  const parts = name.split('.').filter(Boolean);
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])),
    Buffer.from([0]),
  ]);
}

function readName(b, at) {
  const labels = [];
  while (b[at] !== 0) {
    labels.push(b.subarray(at + 1, at + 1 + b[at]).toString());
    at += 1 + b[at];
  }
  return { name: labels.join('.').toLowerCase(), end: at + 1 };
}

function dnsServer(host, port, recordsJson) {
  const records = JSON.parse(recordsJson);
  const socket = createSocket(family(host));
  socket.on('message', (query, peer) => {
    const { name, end } = readName(query, 12);
    const type = query.readUInt16BE(end);
    const question = query.subarray(12, end + 4);
    const address = records[name];
    const answers = [];
    if (address && type === 1) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(30, 6);
      rr.writeUInt16BE(4, 10);
      address.split('.').forEach((o, i) => rr.writeUInt8(Number(o), 12 + i));
      answers.push(rr);
    }
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0);
    // QR, AA, RD copied, RA; NXDOMAIN for names we do not know.
    header.writeUInt16BE(0x8000 | 0x0400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | (address ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, question, ...answers]), peer.port, peer.address);
  });
  socket.bind(port, host, ready);
}

/** One A query; resolves to { rcode, address }. */
function query(socket, server, name, id) {
  return new Promise((resolve) => {
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    header.writeUInt16BE(0x0100, 2); // RD
    header.writeUInt16BE(1, 4);
    const packet = Buffer.concat([header, encodeName(name), Buffer.from([0, 1, 0, 1])]);
    const onMessage = (reply) => {
      if (reply.readUInt16BE(0) !== id) return;
      socket.off('message', onMessage);
      const rcode = reply.readUInt16BE(2) & 0x0f;
      const answers = reply.readUInt16BE(6);
      const address = answers > 0 ? [...reply.subarray(reply.length - 4)].join('.') : null;
      resolve({ rcode, address });
    };
    socket.on('message', onMessage);
    socket.send(packet, 53, server);
  });
}

/** glibc's order: with fewer dots than ndots, the search list first, then the name as is. */
async function resolveName(name, server) {
  const search = (option('search', '') || '').split(',').filter(Boolean);
  const ndots = Number(option('ndots', 1));
  const dots = name.split('.').length - 1;
  const candidates = name.endsWith('.')
    ? [name.slice(0, -1)]
    : dots >= ndots
      ? [name, ...search.map((s) => `${name}.${s}`)]
      : [...search.map((s) => `${name}.${s}`), name];
  const socket = createSocket('udp4');
  await new Promise((r) => socket.bind(Number(option('port', 0)), r));
  let id = Number(option('id', 0x1000));
  for (const candidate of candidates) {
    const { rcode, address } = await query(socket, server, candidate, id++);
    console.log(`${candidate} ${rcode === 0 ? address : 'NXDOMAIN'}`);
    if (rcode === 0) break;
  }
  socket.close();
}

// --- PROXY protocol (haproxy's spec, v1 and v2) --------------------------------------------

function proxyHeader(version, client, local) {
  const v6 = isIPv6(client.remoteAddress);
  if (version === 1) {
    return Buffer.from(
      `PROXY ${v6 ? 'TCP6' : 'TCP4'} ${client.remoteAddress} ${local.address} ${client.remotePort} ${local.port}\r\n`,
    );
  }
  const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  const addresses = Buffer.alloc(12);
  client.remoteAddress.split('.').forEach((o, i) => addresses.writeUInt8(Number(o), i));
  local.address.split('.').forEach((o, i) => addresses.writeUInt8(Number(o), 4 + i));
  addresses.writeUInt16BE(client.remotePort, 8);
  addresses.writeUInt16BE(local.port, 10);
  const head = Buffer.from([0x21, 0x11, 0x00, 12]); // v2 PROXY, TCP over IPv4, 12 bytes
  return Buffer.concat([signature, head, addresses]);
}

function proxyLb(host, port, target, targetPort) {
  const version = Number(option('version', 2));
  const server = createServer((client) => {
    const options = { host: target, port: targetPort };
    if (option('bind')) options.localAddress = option('bind');
    if (option('port')) options.localPort = Number(option('port'));
    const upstream = connect(options, () => {
      upstream.write(proxyHeader(version, client, { address: client.localAddress, port: client.localPort }));
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.listen({ host, port }, ready);
}

const [host, portText, third, fourth] = positional;
const port = Number(portText);
switch (mode) {
  case 'tcp-server':
    tcpServer(host, port);
    break;
  case 'tcp-client':
    tcpClient(host, port);
    break;
  case 'udp-server':
    udpServer(host, port);
    break;
  case 'udp-client':
    udpClient(host, port);
    break;
  case 'dns-server':
    dnsServer(host, port, third);
    break;
  case 'resolve':
    resolveName(host, portText).catch((e) => fail(e.message));
    break;
  case 'proxy-lb':
    proxyLb(host, port, third, Number(fourth));
    break;
  default:
    fail(`unknown mode ${mode}`);
}
