import { describe, expect, it } from 'vitest';
import { launchFiles, userArguments } from './launch-args.js';

describe('what the app is asked to open at launch', () => {
  it('takes captures and a snapshot, relative to where it was started', () => {
    expect(launchFiles(['a.pcap', '/tmp/b.pcapng', '--cluster', 'snap.json'], '/home/me')).toEqual({
      captures: ['/home/me/a.pcap', '/tmp/b.pcapng'],
      cluster: '/home/me/snap.json',
    });
    expect(launchFiles(['--cluster=/k/c.yaml', 'x.pcap.gz'], '/w')).toEqual({
      captures: ['/w/x.pcap.gz'],
      cluster: '/k/c.yaml',
    });
  });

  it("passes over Chromium's and Electron's own switches", () => {
    expect(launchFiles(['--no-sandbox', '--inspect=9229', 'c.pcap', '--'], '/w')).toEqual({
      captures: ['/w/c.pcap'],
      cluster: null,
    });
    expect(launchFiles([], '/w')).toEqual({ captures: [], cluster: null });
  });

  it('finds the user arguments after the executable, and after the app folder in development', () => {
    expect(userArguments(['/opt/podpath/podpath', 'a.pcap'], true)).toEqual(['a.pcap']);
    expect(userArguments(['/usr/bin/electron', '/src/podpath', 'a.pcap'], false)).toEqual(['a.pcap']);
  });
});
