// The lab's toolkit: network namespaces, veths, bridges, background processes and tcpdump
// captures, all created by one Lab object and all removed by its cleanup(), by name and pid.
// Everything happens inside namespaces named `pl-<scenario>-<name>`: the host is untouched,
// and scenarios can run side by side.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB = dirname(fileURLToPath(import.meta.url));
export const TRAFFIC = join(LAB, 'traffic.mjs');

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));
export function sleep(ms) {
  Atomics.wait(sleepBuffer, 0, 0, ms);
}

/** Runs a command, throwing with its stderr on failure. Returns stdout. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: options.timeout ?? 30_000 });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0 && !options.allowFailure) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result.stdout;
}

export class Lab {
  /**
   * @param {object} options
   * @param {string} options.scenario short scenario id, used in namespace names
   * @param {string} options.work scratch folder for logs and raw captures
   * @param {boolean} [options.verbose]
   */
  constructor({ scenario, work, verbose = false }) {
    this.scenario = scenario;
    this.work = work;
    this.verbose = verbose;
    this.namespaces = [];
    this.processes = []; // { pid, child, name, log }
    this.captures = [];
    mkdirSync(work, { recursive: true });
  }

  log(...parts) {
    if (this.verbose) console.error(`[${this.scenario}]`, ...parts);
  }

  nsName(name) {
    return `pl-${this.scenario}-${name}`;
  }

  /**
   * A namespace with loopback up and rp_filter off. IPv6 is disabled unless asked for, so
   * router solicitations and MLD reports do not wander into the captures.
   */
  ns(name, { ipv6 = false, forwarding = false } = {}) {
    const ns = this.nsName(name);
    if (existsSync(`/run/netns/${ns}`)) run('ip', ['netns', 'delete', ns]);
    run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    this.sysctl(ns, {
      'net.ipv4.conf.all.rp_filter': 0,
      'net.ipv4.conf.default.rp_filter': 0,
      'net.ipv4.ip_forward': forwarding ? 1 : 0,
    });
    if (ipv6) {
      this.sysctl(ns, {
        'net.ipv6.conf.all.accept_dad': 0,
        'net.ipv6.conf.default.accept_dad': 0,
        'net.ipv6.conf.default.router_solicitations': 0,
        'net.ipv6.conf.default.accept_ra': 0,
        'net.ipv6.conf.all.forwarding': forwarding ? 1 : 0,
      });
    } else {
      this.sysctl(ns, { 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
    }
    this.ip(ns, 'link', 'set', 'lo', 'up');
    return ns;
  }

  sysctl(ns, values) {
    const args = Object.entries(values).map(([k, v]) => `${k}=${v}`);
    this.exec(ns, 'sysctl', ['-qw', ...args]);
  }

  /** `ip -n NS ...` */
  ip(ns, ...args) {
    return run('ip', ['-n', ns, ...args]);
  }

  /** Runs a command inside a namespace (synchronously). */
  exec(ns, command, args = [], options = {}) {
    return run('ip', ['netns', 'exec', ns, command, ...args], options);
  }

  /**
   * A veth pair between two namespaces, with fixed MACs when given. Offloads are off so the
   * captured checksums are real and no GSO superpackets appear.
   */
  veth(nsA, ifA, nsB, ifB, { mtu = 1500, macA, macB } = {}) {
    const tmpA = `t${randomBytes(5).toString('hex')}`;
    const tmpB = `t${randomBytes(5).toString('hex')}`;
    const a = ['link', 'add', tmpA, 'netns', nsA, 'mtu', String(mtu)];
    if (macA) a.push('address', macA);
    a.push('type', 'veth', 'peer', 'name', tmpB, 'netns', nsB, 'mtu', String(mtu));
    if (macB) a.push('address', macB);
    run('ip', a);
    this.ip(nsA, 'link', 'set', tmpA, 'name', ifA);
    this.ip(nsB, 'link', 'set', tmpB, 'name', ifB);
    this.offloadsOff(nsA, ifA);
    this.offloadsOff(nsB, ifB);
    this.ip(nsA, 'link', 'set', ifA, 'up');
    this.ip(nsB, 'link', 'set', ifB, 'up');
  }

  offloadsOff(ns, iface) {
    this.exec(
      ns,
      'ethtool',
      ['-K', iface, 'tx', 'off', 'sg', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'],
      {
        allowFailure: true,
      },
    );
  }

  /** A bridge in a namespace, optionally with an address (a node's cni0, an underlay switch). */
  bridge(ns, name, { address, mac, mtu } = {}) {
    const args = ['link', 'add', name];
    if (mac) args.push('address', mac);
    if (mtu) args.push('mtu', String(mtu));
    args.push('type', 'bridge');
    this.ip(ns, ...args);
    // No IGMP/MLD snooping queries and no STP hellos in the captures.
    this.ip(ns, 'link', 'set', name, 'type', 'bridge', 'mcast_snooping', '0', 'stp_state', '0');
    if (address) this.ip(ns, 'addr', 'add', address, 'dev', name);
    this.ip(ns, 'link', 'set', name, 'up');
  }

  /** Attaches an interface to a bridge in the same namespace. */
  attach(ns, iface, bridge) {
    this.ip(ns, 'link', 'set', iface, 'master', bridge);
  }

  /**
   * Starts a background process in a namespace, its output going to a log file in the work
   * folder; waits until the log shows `readyText` when given.
   */
  background(ns, name, command, args, { readyText } = {}) {
    const log = join(this.work, `${name}.log`);
    const fd = openSync(log, 'w');
    const child = spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const proc = { pid: child.pid, child, name, log };
    this.processes.push(proc);
    this.log('started', name, child.pid);
    if (readyText) this.waitFor(proc, readyText);
    return proc;
  }

  /** Waits (the lab runs sequentially) until a process's log shows `text`. */
  waitFor(proc, text, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const output = readFileSync(proc.log, 'utf8');
      if (output.includes(text)) return;
      if (Date.now() > deadline)
        throw new Error(`${proc.name} did not print '${text}' within ${timeoutMs} ms: ${output}`);
      sleep(25);
    }
  }

  /** A traffic server (see traffic.mjs) in the background, waited on until it listens. */
  server(ns, name, ...args) {
    return this.background(ns, name, process.execPath, [TRAFFIC, ...args], { readyText: 'ready' });
  }

  /** A traffic client (see traffic.mjs), run to completion. Returns what it printed. */
  client(ns, ...args) {
    return this.exec(ns, process.execPath, [TRAFFIC, ...args], { timeout: 60_000 });
  }

  /**
   * Starts tcpdump on `iface` ('any' for SLL2) in a namespace, writing `file` in the work
   * folder. --immediate-mode: without it libpcap's TPACKET_V3 ring kept a partly filled
   * block from tcpdump until it was killed, and short captures came out empty.
   */
  capture(ns, iface, file, { filter = [], nano = false } = {}) {
    const path = join(this.work, file);
    // -B: in immediate mode each ring slot is snaplen-sized, and the default 2 MiB buffer
    // held about eight packets: an -i any burst copied onto three interfaces overflowed it.
    const args = ['-i', iface, '--immediate-mode', '-B', '32768', '-n', '-U', '-Z', 'root', '-w', path];
    if (nano) args.push('--time-stamp-precision=nano');
    const proc = this.background(ns, `tcpdump-${file}`, 'tcpdump', [...args, ...filter], {
      readyText: 'listening on',
    });
    proc.file = file;
    proc.path = path;
    this.captures.push(proc);
    return proc;
  }

  /** Stops every capture (SIGTERM flushes the file) and waits for them to exit. */
  stopCaptures() {
    sleep(300); // let the last packets reach the capture
    for (const proc of this.captures) {
      try {
        process.kill(proc.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    for (const proc of this.captures) waitExit(proc.pid);
    const done = this.captures;
    this.processes = this.processes.filter((p) => !done.includes(p));
    this.captures = [];
    return done;
  }

  /** Ends every process this lab started (by pid) and deletes its namespaces. */
  cleanup() {
    for (const proc of [...this.captures, ...this.processes]) {
      try {
        process.kill(proc.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    for (const proc of [...this.captures, ...this.processes]) waitExit(proc.pid, 2000, true);
    this.captures = [];
    this.processes = [];
    for (const ns of this.namespaces.reverse()) {
      if (existsSync(`/run/netns/${ns}`)) run('ip', ['netns', 'delete', ns], { allowFailure: true });
    }
    this.namespaces = [];
  }

  /** The ifindex of each interface in a namespace, for reading SLL2 captures. */
  ifindexes(ns) {
    const out = {};
    for (const link of JSON.parse(this.ip(ns, '-j', 'link', 'show'))) out[link.ifindex] = link.ifname;
    return out;
  }
}

function waitExit(pid, timeoutMs = 5000, kill = false) {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(`/proc/${pid}`)) {
    // A zombie whose parent (us) has not reaped it still has /proc/<pid>: check its state.
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.split(' ')[2] === 'Z') return;
    } catch {
      return;
    }
    if (Date.now() > deadline) {
      if (!kill) throw new Error(`process ${pid} did not exit`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      return;
    }
    sleep(20);
  }
}
