/**
 * A real single-node Apache Kafka broker (KRaft, combined broker+controller) for tests,
 * without Docker. The jars come from Maven Central through `scripts/kafka.sh fetch`
 * (cached in ~/.cache/backend-event/kafka-<version>); this module then runs `java` itself
 * so fault tests can stop() the broker and start() it again on the same data and port.
 *
 *   const kafka = await startKafka();          // free ports, fresh temp data dir
 *   ... new Kafka({ brokers: [kafka.brokers] }) ...
 *   await kafka.stop(); await kafka.start();   // same broker, same data, same port
 *   await kafka.destroy();                     // stop and delete its data
 *
 * Missing java or mvn is an error, never a skip. Node built-ins only (no npm deps).
 * Keep the broker properties and JVM flags in sync with scripts/kafka.sh.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KafkaServer {
  /** "127.0.0.1:<port>", ready for a client's `brokers` list. */
  brokers: string;
  port: number;
  /** Graceful shutdown (SIGTERM, then SIGKILL after 30 s). The data dir is kept. */
  stop(): Promise<void>;
  /** Restart the same broker (same data dir and ports) after stop(). No-op when running. */
  start(): Promise<void>;
  /** stop() and delete the broker's data dir. The server cannot be started again. */
  destroy(): Promise<void>;
}

export interface StartKafkaOptions {
  /** Client (PLAINTEXT) port; a free one is picked when omitted. */
  port?: number;
  /** How long to wait for "Kafka Server started"; default 90 s. */
  startTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const READY_LINE = 'Kafka Server started';
const DEFAULT_START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 30_000;

/** Running brokers and their data dirs, for the exit hook. */
const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;

/** A broker must never outlive the test process that started it, nor leave its temp dir. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, dir] of live) {
      try {
        child.kill('SIGKILL');
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
      } catch {
        /* best effort: the process is exiting */
      }
    }
  });
}

/** This module's folder, in CJS (__dirname) and in ESM (from its own stack frame). */
function moduleDir(): string | undefined {
  if (typeof __dirname !== 'undefined') return __dirname;
  const frame = new Error().stack?.split('\n')[1] ?? '';
  const m = /(file:\/\/\S+?|\/\S+?):\d+:\d+\)?$/.exec(frame.trim());
  if (!m?.[1]) return undefined;
  return path.dirname(m[1].startsWith('file:') ? fileURLToPath(m[1]) : m[1]);
}

/** scripts/kafka.sh: $KAFKA_SCRIPT, or the first one found walking up from this module or the cwd. */
function findScript(): string {
  const candidates: string[] = [];
  if (process.env.KAFKA_SCRIPT) candidates.push(process.env.KAFKA_SCRIPT);
  for (const start of [moduleDir(), process.cwd()]) {
    if (!start) continue;
    for (let dir = start; ; dir = path.dirname(dir)) {
      candidates.push(path.join(dir, 'scripts', 'kafka.sh'));
      if (path.dirname(dir) === dir) break;
    }
  }
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    throw new Error(`startKafka: cannot find scripts/kafka.sh (looked at ${candidates.join(', ')}); set KAFKA_SCRIPT`);
  }
  return found;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

let jarsPromise: Promise<string> | undefined;

/** Makes sure the broker jars are cached (mvn on first use) and returns their folder. */
function ensureJars(): Promise<string> {
  jarsPromise ??= (async () => {
    const script = findScript();
    const r = await run('bash', [script, 'fetch']);
    const jars = /^KAFKA_JARS=(.+)$/m.exec(r.stdout)?.[1]?.trim();
    if (r.code !== 0 || !jars) {
      throw new Error(
        `startKafka: \`bash ${script} fetch\` failed (exit ${r.code ?? r.signal}); Kafka needs java 17 and mvn.\n` +
          `${r.stderr.trim()}\n${r.stdout.trim()}`.trimEnd(),
      );
    }
    return jars;
  })();
  // Let a later call try again (e.g. after installing Maven) instead of caching the failure.
  jarsPromise.catch(() => (jarsPromise = undefined));
  return jarsPromise;
}

function javaBin(): string {
  const home = process.env.JAVA_HOME;
  if (home && fs.existsSync(path.join(home, 'bin', 'java'))) return path.join(home, 'bin', 'java');
  return 'java';
}

/** Two distinct free ports: both are held open until both are picked, then released. */
async function freePortPair(): Promise<[number, number]> {
  const servers = [net.createServer(), net.createServer()] as const;
  try {
    for (const server of servers) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, HOST, () => resolve());
      });
    }
    const port = (s: net.Server) => (s.address() as net.AddressInfo).port;
    return [port(servers[0]), port(servers[1])];
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  }
}

function serverProperties(dir: string, port: number, controllerPort: number): string {
  return `# Single-node KRaft (combined mode), written by testing/services/kafka.ts
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${controllerPort}
listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}
advertised.listeners=PLAINTEXT://${HOST}:${port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=${path.join(dir, 'data')}
num.partitions=3
auto.create.topics.enable=true
# One broker: internal topics cannot have more replicas than that.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
# Tests create groups constantly; don't wait 3 s for more members to join.
group.initial.rebalance.delay.ms=0
`;
}

// Kafka 3.x logs via slf4j -> reload4j; the JVM's stdout goes to kafka.log.
const LOG4J_PROPERTIES = `log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.org.apache.kafka.clients.NetworkClient=WARN
`;

function jvmOpts(dir: string): string[] {
  const heap = (process.env.KAFKA_HEAP_OPTS ?? '-Xms256m -Xmx512m').split(/\s+/).filter(Boolean);
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-XX:-UsePerfData',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`,
    `-Dkafka.logs.dir=${dir}`,
  ];
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** The log from byte `offset` on; '' when there is no log (yet). */
function readFrom(file: string, offset: number): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const length = Math.max(0, fs.fstatSync(fd).size - offset);
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n).toString();
  } finally {
    fs.closeSync(fd);
  }
}

function lastLines(text: string, n = 40): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

class KafkaBroker implements KafkaServer {
  readonly brokers: string;
  private child: ChildProcess | undefined;
  private destroyed = false;
  private readonly log: string;

  constructor(
    readonly port: number,
    readonly controllerPort: number,
    readonly dir: string,
    private readonly jars: string,
    private readonly startTimeoutMs: number,
  ) {
    this.brokers = `${HOST}:${port}`;
    this.log = path.join(dir, 'kafka.log');
  }

  /** Writes the configs and formats the KRaft storage; only once per data dir. */
  async format(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(path.join(this.dir, 'server.properties'), serverProperties(this.dir, this.port, this.controllerPort));
    fs.writeFileSync(path.join(this.dir, 'log4j.properties'), LOG4J_PROPERTIES);
    if (fs.existsSync(path.join(this.dir, 'data', 'meta.properties'))) return;
    // A cluster id is 16 random bytes in URL-safe base64 without padding.
    const clusterId = randomBytes(16).toString('base64url');
    const r = await this.runJava(['kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', path.join(this.dir, 'server.properties')]);
    fs.appendFileSync(this.log, r.stdout + r.stderr);
    if (r.code !== 0) {
      throw new Error(`startKafka: formatting KRaft storage in ${this.dir} failed (exit ${r.code ?? r.signal}):\n${lastLines(r.stdout + r.stderr)}`);
    }
  }

  private async runJava(args: string[]): Promise<RunResult> {
    try {
      return await run(javaBin(), [...jvmOpts(this.dir), '-cp', path.join(this.jars, '*'), ...args]);
    } catch (err) {
      throw javaError(err);
    }
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`Kafka broker ${this.brokers} was destroyed; call startKafka() for a new one`);
    if (this.child && !exited(this.child)) return;

    const offset = fileSize(this.log);
    const out = fs.openSync(this.log, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        javaBin(),
        [...jvmOpts(this.dir), '-cp', path.join(this.jars, '*'), 'kafka.Kafka', path.join(this.dir, 'server.properties')],
        // The log goes to a file, not a pipe: the broker never blocks on an unread pipe,
        // and unref() lets the test process exit (the exit hook then kills the broker).
        { stdio: ['ignore', out, out] },
      );
    } finally {
      fs.closeSync(out);
    }
    let spawnError: unknown;
    child.on('error', (err) => (spawnError = err));
    child.unref();
    this.child = child;
    live.set(child, this.dir);
    child.once('exit', () => live.delete(child));

    // An open port is not readiness: the broker logs this line once it is unfenced.
    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      const text = readFrom(this.log, offset);
      if (text.includes(READY_LINE)) return;
      if (spawnError) throw javaError(spawnError);
      if (exited(child)) {
        throw new Error(
          `Kafka broker ${this.brokers} exited during startup (${child.exitCode ?? child.signalCode}); ` + `last lines of ${this.log}:\n${lastLines(text)}`,
        );
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
        throw new Error(
          `Kafka broker ${this.brokers} did not log "${READY_LINE}" within ${this.startTimeoutMs} ms; ` + `last lines of ${this.log}:\n${lastLines(text)}`,
        );
      }
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || exited(child)) return;
    // SIGTERM runs Kafka's clean shutdown, so the restart skips log recovery.
    child.kill('SIGTERM');
    if (!(await waitForExit(child, STOP_GRACE_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, 10_000);
    }
  }

  async destroy(): Promise<void> {
    await this.stop();
    this.destroyed = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  lastLog(): string {
    return lastLines(readFrom(this.log, 0));
  }
}

function javaError(err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') {
    return new Error(`startKafka: java not found (${javaBin()}); Kafka needs Java 17: apt-get install -y openjdk-17-jre-headless, or set JAVA_HOME`);
  }
  return e instanceof Error ? e : new Error(String(err));
}

/**
 * Starts a fresh single-node Kafka broker on 127.0.0.1 and resolves once it serves requests.
 * Each call gets its own temp data dir; call destroy() when done.
 */
export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaServer> {
  installExitHook();
  const jars = await ensureJars();
  const startTimeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  // Ports picked here can be taken by someone else before the JVM binds them; then retry.
  const attempts = opts.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const [a, b] = await freePortPair();
    const port = opts.port ?? a;
    const controllerPort = a === port ? b : a;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `backend-event-kafka-${port}-`));
    const broker = new KafkaBroker(port, controllerPort, dir, jars, startTimeoutMs);
    try {
      await broker.format();
      await broker.start();
      return broker;
    } catch (err) {
      const addressInUse = /Address already in use|BindException/.test(broker.lastLog());
      await broker.destroy().catch(() => undefined);
      if (!(addressInUse && attempt < attempts)) throw err;
    }
  }
}
