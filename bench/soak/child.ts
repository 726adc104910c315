import { spawn, type ChildProcess } from 'node:child_process';
import type { Timing } from '../../lib/config.ts';
import { REPO_ROOT } from '../stack.ts';
import type { Audit, ChildReply, ChildRequest, Ready, ServerSample } from './protocol.ts';

/** A request before it gets its id (distributes over the union). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Error lines the server logged (its log level is ERROR), kept for the report. */
export interface ServerLog {
  errorLines: number;
  firstErrors: string[];
}

/** How the server process ended after `stop`. */
export interface ServerExit {
  /** Exit code, or the signal that ended it. */
  code: number | string | null;
  /** It ended by itself once its runtime was closed (nothing left open kept it alive). */
  clean: boolean;
  /** Resources still active right after the runtime closed (IPC excluded only by the exit itself). */
  leftOpen: Record<string, number>;
}

/**
 * The server process seen from the generator: started with `--expose-gc` (so samples can read the
 * live heap), asked over IPC, and its stdout/stderr scanned for error lines.
 */
export class ServerProcess {
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  private constructor(
    private readonly child: ChildProcess,
    readonly ready: Ready,
    readonly log: ServerLog,
  ) {
    child.on('message', (m: ChildReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.error));
    });
    child.once('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`the soak server exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  /** Spawns `bench/soak/server.ts` with the given timing and waits for its ready message. */
  static async start(timing: Partial<Timing>): Promise<ServerProcess> {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/soak/server.ts', JSON.stringify(timing)], {
      cwd: REPO_ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    // The server logs at level ERROR and prints nothing else: every line it writes is a finding.
    const log: ServerLog = { errorLines: 0, firstErrors: [] };
    const scan = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        log.errorLines += 1;
        if (log.firstErrors.length < 5) log.firstErrors.push(line.slice(0, 600));
      }
    };
    child.stdout!.on('data', scan);
    child.stderr!.on('data', scan);
    try {
      const ready = await new Promise<Ready>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the soak server did not start in 60 s: ${log.firstErrors.join('\n')}`)), 60_000);
        child.once('message', (m: Ready) => (clearTimeout(timer), resolve(m)));
        child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`the soak server exited (${code}): ${log.firstErrors.join('\n')}`))));
      });
      return new ServerProcess(child, ready, log);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  private ask<T>(req: WithoutId<ChildRequest>, timeoutMs = 60_000): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => (this.pending.delete(id), reject(new Error(`the soak server did not answer ${req.type} in ${timeoutMs} ms`))), timeoutMs);
      this.pending.set(id, { resolve: (v) => (clearTimeout(timer), resolve(v as T)), reject: (e) => (clearTimeout(timer), reject(e)) });
      this.child.send({ ...req, id } as ChildRequest);
    });
  }

  sample(gc: boolean): Promise<ServerSample> {
    return this.ask({ type: 'sample', gc });
  }

  /** Writes a heap snapshot of the server process (diagnostics: it pauses the server for seconds). */
  snapshot(path: string): Promise<string> {
    return this.ask({ type: 'snapshot', path }, 180_000);
  }

  audit(): Promise<Audit> {
    return this.ask({ type: 'audit' }, 180_000);
  }

  /** Closes the runtime and waits (up to 15 s) for the process to end by itself; kills it otherwise. */
  async stop(): Promise<ServerExit> {
    const exited = new Promise<number | string | null>((resolve) => this.child.once('exit', (code, signal) => resolve(code ?? signal)));
    if (this.child.exitCode !== null) return { code: this.child.exitCode, clean: false, leftOpen: {} };
    const leftOpen = await this.ask<Record<string, number>>({ type: 'stop' }).catch(() => ({}));
    let killed = false;
    const timer = setTimeout(() => ((killed = true), this.child.kill('SIGKILL')), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return { code, clean: !killed && code === 0, leftOpen };
  }

  /** Ends the process at once (the run failed before `stop`). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
