/**
 * `pm broadcast`: one text to many users, resumable. Every recipient's state is kept in the storage and its
 * random_id is derived from (job id, recipient), so `--resume <id>` after a crash or Ctrl+C messages nobody twice.
 * A progress bar runs on a terminal; a report (sent, skipped by reason, unresolved references) ends it.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { type Broadcast, type BroadcastReport, type PeerRef, parsePeerRef, type Recipients } from '@pm/core';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Act, CommandEnv } from '../command.js';
import { withClient } from '../connect.js';
import { CommandFailed, UsageError } from '../errors.js';
import { renderTable } from '../format.js';
import { storedReasonText } from '../reasons.js';

interface BroadcastOptions {
  text?: string;
  to?: string;
  id?: string;
  resume?: string;
  silent?: boolean;
  parseMode?: 'html' | 'markdown';
  concurrency?: number;
}

/** The recipient queries `--to` accepts besides a file. */
export const RECIPIENT_QUERIES: Readonly<Record<string, { started?: boolean; blocked?: boolean }>> = {
  /** Dialogs started and not blocked: everyone who can receive it. */
  started: { started: true, blocked: false },
  /** Every dialog started, blocked ones too (they are skipped as blocked and counted in the report). */
  'all-started': { started: true },
};

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d{1,4}$/.test(value) || n < 1) throw new InvalidArgumentError(`expected 1-9999, got "${value}"`);
  return n;
}

function jobId(value: string): string {
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(value)) {
    throw new InvalidArgumentError(`expected 1-64 characters of A-Z a-z 0-9 . _ : -, got "${value}"`);
  }
  return value;
}

export function defineBroadcast(program: Command, act: Act): void {
  program
    .command('broadcast')
    .description('send one text to many users; resumable (nobody gets it twice), with progress and a report')
    .option('--text <text>', 'the message (needed to create a job)')
    .option(
      '--to <file|query>',
      `recipients: a file of refs (one per line, # comments), "-" for stdin, or ${Object.keys(
        RECIPIENT_QUERIES,
      )
        .map((q) => `"${q}"`)
        .join(' or ')}`,
    )
    .option('--id <id>', 'job id, to resume it later (default: bc-<time>)', jobId)
    .option('--resume <id>', 'resume a stopped job: only recipients not yet sent or skipped get it', jobId)
    .option('--silent', 'deliver without a notification sound')
    .addOption(new Option('--parse-mode <mode>', 'format the text').choices(['html', 'markdown']))
    .option('--concurrency <n>', 'messages in flight at once (the rate limiter sets the pace)', positiveInt)
    .addHelpText(
      'after',
      `
Queries: "started" = every dialog started and not blocked; "all-started" = blocked ones too (reported as skipped).

Examples:
  $ pm broadcast --text "We are back online" --to started
  $ pm broadcast --text "Your order shipped" --to customers.txt --id orders-0612
  $ pm broadcast --resume orders-0612              # after Ctrl+C or a crash
  $ cut -f1 users.tsv | pm broadcast --text "Hi" --to - --json

Exit codes: 0 the job finished (some recipients may be skipped: see the report), 1 stopped before the end or
failed (resume it with --resume <id>), 2 usage error.`,
    )
    .action(act<BroadcastOptions>(broadcast));
}

/**
 * Reads the whole list before anything is created: a malformed line is a usage error naming the file and line
 * (`customers.txt:7: …`), and no job exists until every line has been read and parsed.
 */
async function readRefs(input: Readable, name: string): Promise<PeerRef[]> {
  const refs: PeerRef[] = [];
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const raw of lines) {
      n += 1;
      const line = raw.replace(/#.*$/, '').trim();
      if (!line) continue;
      try {
        parsePeerRef(line);
      } catch (e) {
        throw new UsageError(`${name}:${n}: ${e instanceof Error ? e.message : String(e)}`);
      }
      refs.push(line);
    }
  } catch (e) {
    // A read error (no permission, an I/O error): named, rather than as Node's bare message.
    const code = (e as NodeJS.ErrnoException).code;
    if (e instanceof UsageError || typeof code !== 'string') throw e;
    throw new CommandFailed('RECIPIENTS_UNREADABLE', `cannot read the recipients in ${name} (${code})`);
  }
  return refs;
}

async function recipientsOf(to: string, io: CommandEnv['io']): Promise<Recipients> {
  if (to === '-') return readRefs(io.stdin, '<stdin>');
  const query = RECIPIENT_QUERIES[to];
  if (query && !existsSync(to)) return { dialogs: query };
  if (!existsSync(to)) {
    throw new UsageError(
      `--to ${JSON.stringify(to)}: no such file, and not a query (${Object.keys(RECIPIENT_QUERIES).join(', ')})`,
    );
  }
  if (statSync(to).isDirectory())
    throw new UsageError(`--to ${JSON.stringify(to)}: is a folder, expected a file of refs`);
  return readRefs(createReadStream(to), to);
}

async function broadcast({ io, opts, out }: CommandEnv, _args: string[], o: BroadcastOptions): Promise<void> {
  if (o.resume && o.id && o.resume !== o.id) throw new UsageError('--resume and --id name different jobs');
  if (!o.resume && (!o.text || !o.to)) throw new UsageError('a new broadcast needs --text and --to');
  const id = o.resume ?? o.id ?? `bc-${new Date().toISOString().replace(/[-:]|\.\d+Z$/g, '')}`;
  const recipients = o.to ? await recipientsOf(o.to, io) : undefined;
  const stop = new AbortController();
  void io.interrupted.then(() => stop.abort());

  await withClient(opts, 'writes', async (client) => {
    const common = {
      signal: stop.signal,
      ...(o.concurrency ? { concurrency: o.concurrency } : {}),
    };
    let job: Broadcast;
    if (o.resume && !o.text) job = await client.resumeBroadcast(id, common);
    else {
      job = client.broadcast({
        ...common,
        id,
        text: {
          text: o.text!,
          ...(o.silent ? { silent: true } : {}),
          ...(o.parseMode ? { parseMode: o.parseMode } : {}),
        },
        ...(recipients ? { recipients } : {}),
      });
    }
    out.note(
      `broadcast ${id}: ${o.resume ? 'resuming' : 'preparing recipients'}… (Ctrl+C stops; resume with --resume ${id})`,
    );
    const bar =
      io.stderr.isTTY && !out.json
        ? new SingleBar({
            stream: io.stderr,
            format: '{state} [{bar}] {value}/{total} | skipped {skipped} | {rate}/s | ETA {eta_formatted}',
            hideCursor: true,
          })
        : undefined;
    let started = false;
    job.on('progress', (p) => {
      if (!bar) return;
      const payload = {
        state: p.paused ? 'paused (offline)' : 'sending',
        skipped: p.skipped,
        rate: p.rate.toFixed(1),
      };
      if (!started) {
        bar.start(p.total, p.sent + p.skipped, payload);
        started = true;
      } else {
        bar.setTotal(p.total);
        bar.update(p.sent + p.skipped, payload);
      }
    });
    let report: BroadcastReport;
    try {
      report = await job.done;
    } finally {
      if (started) bar?.stop();
    }
    printReport(out, report);
    if (report.interrupted) {
      throw new CommandFailed(
        'INTERRUPTED',
        `stopped with ${report.pending} recipients pending; resume with: pm broadcast --resume ${id}`,
        { report: reportJson(report) },
      );
    }
  });
}

function reportJson(r: BroadcastReport): Record<string, unknown> {
  return {
    jobId: r.jobId,
    total: r.total,
    sent: r.sent,
    skipped: r.skipped,
    pending: r.pending,
    skippedByReason: r.skippedByReason,
    unresolved: r.unresolved,
    durationMs: r.durationMs,
    interrupted: r.interrupted,
  };
}

function printReport(out: CommandEnv['out'], r: BroadcastReport): void {
  if (r.interrupted && out.json) return; // the error document carries the report
  const rows: string[][] = [
    ['recipients', String(r.total)],
    ['sent', String(r.sent)],
    ...Object.entries(r.skippedByReason).map(([reason, n]) => [
      `skipped: ${storedReasonText(reason)}`,
      String(n),
    ]),
    ['pending', String(r.pending)],
  ];
  const seconds = r.durationMs / 1000;
  const text = [
    `broadcast ${r.jobId}: ${r.interrupted ? 'stopped' : 'done'} in ${seconds.toFixed(1)} s`,
    renderTable(['outcome', 'count'], rows),
    ...(r.unresolved.length > 0
      ? [`unresolved references (${r.unresolved.length}): ${r.unresolved.slice(0, 10).join(', ')}`]
      : []),
  ].join('\n');
  if (r.interrupted) out.note(text);
  else out.result({ report: reportJson(r) }, text);
}
