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
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts, retryWhilePortTaken } from './free-port';
import { fileSize, hasExited, lastLines, onProcessExit, readFrom, runCommand, stopProcess, type RestartableServer, type RunResult } from './process';

/** stop() is a graceful shutdown (SIGTERM, then SIGKILL after 30 s) that keeps the data dir. */
export interface KafkaServer extends RestartableServer {
  /** "127.0.0.1:<port>", ready for a client's `brokers` list. */
  brokers: string;
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

let jarsPromise: Promise<string> | undefined;

/** Makes sure the broker jars are cached (mvn on first use) and returns their folder. */
function ensureJars(): Promise<string> {
  jarsPromise ??= (async () => {
    const script = findScript();
    const r = await runCommand('bash', [script, 'fetch']);
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

/** One node of a KRaft cluster: its id, and every controller of the quorum as "id@host:port". */
interface ClusterNode {
  nodeId: number;
  voters: string;
  /** Brokers in the cluster: the internal topics are replicated to all of them, up to 3. */
  size: number;
}

function serverProperties(dir: string, port: number, controllerPort: number, node?: ClusterNode): string {
  if (node) return clusterProperties(dir, port, controllerPort, node);
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

function clusterProperties(dir: string, port: number, controllerPort: number, node: ClusterNode): string {
  const internal = Math.min(3, node.size);
  return `# Node ${node.nodeId} of a ${node.size}-node KRaft cluster (each node broker and controller), written by testing/services/kafka.ts
process.roles=broker,controller
node.id=${node.nodeId}
controller.quorum.voters=${node.voters}
listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}
advertised.listeners=PLAINTEXT://${HOST}:${port}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=${path.join(dir, 'data')}
num.partitions=3
# The broker defaults, as an untuned production cluster has them: a topic created without a
# replication factor gets one copy.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=${internal}
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=${internal}
transaction.state.log.min.isr=${Math.min(2, internal)}
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
# A dead broker is fenced (its partitions led elsewhere) 3 s after its last heartbeat, not 9 s.
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=3000
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

function jvmOpts(dir: string, heapOpts?: string): string[] {
  const heap = (heapOpts ?? process.env.KAFKA_HEAP_OPTS ?? '-Xms256m -Xmx512m').split(/\s+/).filter(Boolean);
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    private readonly node?: ClusterNode & { clusterId: string; heapOpts: string },
  ) {
    this.brokers = `${HOST}:${port}`;
    this.log = path.join(dir, 'kafka.log');
  }

  /** Writes the configs and formats the KRaft storage; only once per data dir. */
  async format(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    fs.writeFileSync(path.join(this.dir, 'server.properties'), serverProperties(this.dir, this.port, this.controllerPort, this.node));
    fs.writeFileSync(path.join(this.dir, 'log4j.properties'), LOG4J_PROPERTIES);
    if (fs.existsSync(path.join(this.dir, 'data', 'meta.properties'))) return;
    // A cluster id is 16 random bytes in URL-safe base64 without padding; the nodes of a cluster share one.
    const clusterId = this.node?.clusterId ?? randomBytes(16).toString('base64url');
    const r = await this.runJava(['kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', path.join(this.dir, 'server.properties')]);
    fs.appendFileSync(this.log, r.stdout + r.stderr);
    if (r.code !== 0) {
      throw new Error(`startKafka: formatting KRaft storage in ${this.dir} failed (exit ${r.code ?? r.signal}):\n${lastLines(r.stdout + r.stderr, 40)}`);
    }
  }

  private async runJava(args: string[]): Promise<RunResult> {
    try {
      return await runCommand(javaBin(), [...jvmOpts(this.dir, this.node?.heapOpts), '-cp', path.join(this.jars, '*'), ...args]);
    } catch (err) {
      throw javaError(err);
    }
  }

  async start(): Promise<void> {
    if (this.destroyed) throw new Error(`Kafka broker ${this.brokers} was destroyed; call startKafka() for a new one`);
    if (this.child && !hasExited(this.child)) return;

    const offset = fileSize(this.log);
    const out = fs.openSync(this.log, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        javaBin(),
        [...jvmOpts(this.dir, this.node?.heapOpts), '-cp', path.join(this.jars, '*'), 'kafka.Kafka', path.join(this.dir, 'server.properties')],
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
    // A broker must never outlive the test process that started it, nor leave its temp dir.
    const dir = this.dir;
    const forget = onProcessExit(() => {
      child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    });
    child.once('exit', forget);

    // An open port is not readiness: the broker logs this line once it is unfenced.
    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      const text = readFrom(this.log, offset);
      if (text.includes(READY_LINE)) return;
      if (spawnError) throw javaError(spawnError);
      if (hasExited(child)) {
        throw new Error(
          `Kafka broker ${this.brokers} exited during startup (${child.exitCode ?? child.signalCode}); ` + `last lines of ${this.log}:\n${lastLines(text, 40)}`,
        );
      }
      if (Date.now() > deadline) {
        await stopProcess(child, 'SIGKILL', 5_000);
        throw new Error(
          `Kafka broker ${this.brokers} did not log "${READY_LINE}" within ${this.startTimeoutMs} ms; ` + `last lines of ${this.log}:\n${lastLines(text, 40)}`,
        );
      }
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    // SIGTERM runs Kafka's clean shutdown, so the restart skips log recovery.
    await stopProcess(child, 'SIGTERM', STOP_GRACE_MS);
  }

  /** SIGKILL, as a machine that dies: no controlled shutdown, no leadership handed over. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await stopProcess(child, 'SIGKILL', 10_000);
  }

  async destroy(): Promise<void> {
    await this.stop();
    this.destroyed = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  lastLog(): string {
    return lastLines(readFrom(this.log), 40);
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
  const jars = await ensureJars();
  const startTimeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  // The broker's log, not the error, says whether the port was taken.
  let addressInUse = false;
  return retryWhilePortTaken({ fixedPort: opts.port !== undefined, portTaken: () => addressInUse }, async () => {
    const [a, b] = (await freePorts(2)) as [number, number];
    const port = opts.port ?? a;
    const controllerPort = a === port ? b : a;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `backend-event-kafka-${port}-`));
    const broker = new KafkaBroker(port, controllerPort, dir, jars, startTimeoutMs);
    try {
      await broker.format();
      await broker.start();
      return broker;
    } catch (err) {
      addressInUse = /Address already in use|BindException/.test(broker.lastLog());
      await broker.destroy().catch(() => undefined);
      throw err;
    }
  });
}

export interface KafkaClusterNode extends KafkaServer {
  /** SIGKILL: the broker (and controller) dies without a word; start() brings it back on its data. */
  kill(): Promise<void>;
}

export interface KafkaCluster {
  nodes: KafkaClusterNode[];
  /** "127.0.0.1:<port>,..." for KAFKA_BROKERS. */
  brokers: string;
  destroy(): Promise<void>;
}

/**
 * `size` (default 3) Kafka nodes in KRaft combined mode (each a broker and a controller of one
 * quorum), started together (a quorum needs a majority to start) and resolved once all serve.
 * Each is a JVM: a small heap and the client compiler only (KAFKA_CLUSTER_JVM_OPTS, default
 * -Xms64m -Xmx320m -XX:TieredStopAtLevel=1) keep three of them near 1 GiB and quick to start.
 */
export async function startKafkaCluster(opts: { size?: number; startTimeoutMs?: number } = {}): Promise<KafkaCluster> {
  const size = opts.size ?? 3;
  const jars = await ensureJars();
  const heapOpts = process.env.KAFKA_CLUSTER_JVM_OPTS ?? '-Xms64m -Xmx320m -XX:TieredStopAtLevel=1';
  const ports = await freePorts(size * 2);
  const clusterId = randomBytes(16).toString('base64url');
  const voters = Array.from({ length: size }, (_, i) => `${i + 1}@${HOST}:${ports[size + i]}`).join(',');
  const nodes = Array.from({ length: size }, (_, i) => {
    const port = ports[i]!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `backend-event-kafka-${port}-`));
    return new KafkaBroker(port, ports[size + i]!, dir, jars, opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS, {
      nodeId: i + 1,
      voters,
      size,
      clusterId,
      heapOpts,
    });
  });
  const destroy = async () => void (await Promise.all(nodes.map((n) => n.destroy().catch(() => undefined))));
  try {
    await Promise.all(nodes.map((n) => n.format()));
    await Promise.all(nodes.map((n) => n.start()));
  } catch (err) {
    await destroy();
    throw err;
  }
  return { nodes, brokers: nodes.map((n) => n.brokers).join(','), destroy };
}
