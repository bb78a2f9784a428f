/**
 * `pm peers stats|check|export|import`: the seen-users cache, offline (the storage alone, no session, no network).
 */
import {
  type ExportFormat,
  IMPORT_FORMATS,
  type ImportFormat,
  importPeers,
  openStorage,
  PeerCache,
  type PeerType,
  redactSecrets,
  type SalvageReport,
  StorageError,
  type StorageProvider,
} from '@pm/core';
import { type Command, Option } from 'commander';
import type { Act, CommandEnv } from '../command.js';
import { withStorage } from '../connect.js';
import { AlreadyReported, CommandFailed, EXIT_FAILURE, UsageError } from '../errors.js';
import { plural, renderTable } from '../format.js';
import { toStdout, writeExport } from '../peers/export-output.js';
import { restorePeers } from '../peers/restore.js';

export function definePeers(program: Command, act: Act): void {
  const peers = program
    .command('peers')
    .description('the seen-users cache in the storage: stats, check, export, import (no network)');
  peers
    .command('stats')
    .description('count seen peers by type, usernames, languages and dialogs')
    .addHelpText('after', '\nExample:\n  $ pm peers stats --storage sqlite:bot.db --json')
    .action(act(stats));
  peers
    .command('check')
    .description("check the storage file for damage (SQLite's integrity_check); exit 1 if any is found")
    .addHelpText('after', '\nExample:\n  $ pm peers check --storage sqlite:bot.db')
    .action(act(check));
  peers
    .command('export')
    .description("write every seen peer in pm's lossless format (64-bit values as decimal strings)")
    .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).default('jsonl'))
    .option('-o, --output <file>', "write here instead of stdout ('-': stdout)")
    .option(
      '--salvage',
      'read a damaged SQLite store past its damage: every peer still readable is written, the rest named; exit 1 if any was lost',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ pm peers export > peers.jsonl\n  $ pm peers export --format csv --output peers.csv\n' +
        '  $ pm peers export --salvage --storage sqlite:damaged.db -o saved.jsonl; pm peers import saved.jsonl --storage sqlite:new.db',
    )
    .action(act<{ format: ExportFormat; output?: string; salvage?: boolean }>(exportCommand));
  peers
    .command('import <source>')
    .description(
      'import seen peers from a Telethon, Pyrogram or mtcute session, a GramJS store or string, or a pm export',
    )
    .addOption(
      new Option('--format <format>', 'skip detection and read the source as this format').choices(
        IMPORT_FORMATS,
      ),
    )
    .addHelpText(
      'after',
      '\nThe format is detected from the content. Peers already known are merged by the cache rules (a full\n' +
        'access hash is never replaced by a min one); new peers from a pm export are written exactly as exported.\n\n' +
        'Examples:\n  $ pm peers import old-bot.session          # Telethon or Pyrogram\n' +
        '  $ pm peers import peers.jsonl --storage sqlite:new.db',
    )
    .action(act<{ format?: ImportFormat }>(importCommand));
}

async function stats({ opts, out }: CommandEnv): Promise<void> {
  await withStorage(opts, 'reads', async (storage) => {
    const cache = new PeerCache({ storage, closeStorage: false });
    const byType: Record<PeerType, number> = { user: 0, bot: 0, chat: 0, channel: 0, supergroup: 0 };
    const languages = new Map<string, number>();
    let total = 0;
    let withUsername = 0;
    let withAccessHash = 0;
    let minOnly = 0;
    let deleted = 0;
    try {
      for await (const p of cache.iterate()) {
        total++;
        byType[p.type]++;
        if (p.usernames.length > 0) withUsername++;
        if (p.accessHash !== null && !p.min) withAccessHash++;
        if (p.min) minOnly++;
        if (p.deleted) deleted++;
        if (p.langCode) languages.set(p.langCode, (languages.get(p.langCode) ?? 0) + 1);
      }
    } finally {
      await cache.close();
    }
    const dialogs = {
      total: await storage.dialogs.count(),
      blocked: await storage.dialogs.count({ blocked: true }),
    };
    const langs = [...languages].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    out.result(
      {
        storage: redactSecrets(opts.storage),
        peers: total,
        byType,
        withUsername,
        withAccessHash,
        minOnly,
        deleted,
        languages: Object.fromEntries(langs),
        dialogs,
      },
      () =>
        [
          `${redactSecrets(opts.storage)}: ${plural(total, 'peer')} seen`,
          renderTable(
            ['what', 'count'],
            [
              ...Object.entries(byType).map(([t, n]) => [t, String(n)]),
              ['with a username', String(withUsername)],
              ['with a full access hash', String(withAccessHash)],
              ['min only', String(minOnly)],
              ['deleted accounts', String(deleted)],
              ['dialogs known', String(dialogs.total)],
              ['dialogs blocked', String(dialogs.blocked)],
            ],
          ),
          `languages: ${langs.map(([l, n]) => `${l} ${n}`).join(', ') || '-'}`,
        ].join('\n'),
    );
  });
}

/** What to say when the damage is where opening a store reads (its schema): nothing past it can be reached. */
const NOTHING_TO_SALVAGE =
  "pm can salvage nothing from it; SQLite's own `sqlite3 <file> .recover` reads below the schema";

/** The cause of a store refused at opening because it is damaged; any other failure is thrown on. */
function damagedAtOpen(e: unknown): string {
  if (!(e instanceof StorageError) || e.code !== 'STORAGE_DAMAGED') throw e;
  return e.cause instanceof Error ? e.cause.message : e.message;
}

async function check({ opts, out }: CommandEnv): Promise<void> {
  const damaged = (problems: readonly string[], opened = true): CommandFailed => {
    const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? '; ...' : '');
    const next = opened
      ? '`pm peers export --salvage -o saved.jsonl` saves the peers still readable'
      : NOTHING_TO_SALVAGE;
    return new CommandFailed(
      'STORAGE_DAMAGED',
      `${redactSecrets(opts.storage)} is damaged: ${plural(problems.length, 'problem')} found: ${shown}; ${next}`,
      { problems },
    );
  };
  try {
    await withStorage(opts, 'reads', async (storage) => {
      if (storage.check === undefined)
        throw new CommandFailed('CHECK_UNSUPPORTED', `${storage.name} storage offers no integrity check`);
      const problems = await storage.check();
      if (problems.length > 0) throw damaged(problems);
      out.result(
        { storage: redactSecrets(opts.storage), problems: [] },
        `${redactSecrets(opts.storage)}: integrity check ok, no damage found`,
      );
    });
  } catch (e) {
    // Damaged where opening reads (the schema): that is what the check found, not a pointer back to the check.
    throw damaged([`the store cannot be opened: ${damagedAtOpen(e)}`], false);
  }
}

async function exportCommand(
  env: CommandEnv,
  _args: string[],
  o: { format: ExportFormat; output?: string; salvage?: boolean },
): Promise<void> {
  const { opts, out, io } = env;
  if (o.salvage) return salvageCommand(env, o);
  await withStorage(opts, 'reads', async (storage) => {
    const cache = new PeerCache({ storage, closeStorage: false });
    try {
      const count = await writeExport(cache.iterate(), o.format, o.output, io.stdout);
      if (!toStdout(o.output))
        out.result(
          { exported: count, format: o.format, output: o.output },
          `exported ${plural(count, 'peer')} to ${o.output} (${o.format})`,
        );
      // The records are the output; with --json the summary would corrupt them, so it goes to stderr.
      else io.stderr.write(`exported ${plural(count, 'peer')} (${o.format})\n`);
    } finally {
      await cache.close();
    }
  });
}

/**
 * `pm peers export --salvage`: the records a damaged store still holds, in the order first stored (storage's
 * `salvagePeers`), then what was lost. Loss is a failure (exit 1) after the records are written: with `--output`
 * reported as any failure, to stdout the report goes to stderr so that the records stay a clean stream.
 */
async function salvageCommand(
  { opts, out, io }: CommandEnv,
  o: { format: ExportFormat; output?: string },
): Promise<void> {
  const toFile = !toStdout(o.output);
  let storage: StorageProvider;
  try {
    storage = await openStorage(opts.storage, { create: false });
  } catch (e) {
    throw new CommandFailed(
      'STORAGE_DAMAGED',
      `${redactSecrets(opts.storage)} cannot be opened (${damagedAtOpen(e)}): ${NOTHING_TO_SALVAGE}`,
    );
  }
  try {
    if (storage.salvagePeers === undefined)
      throw new UsageError(
        `--salvage reads past damage in a SQLite store; ${storage.name} storage has no such path (export without it)`,
      );
    let report: SalvageReport | undefined;
    const records = storage.salvagePeers((done) => {
      report = done;
    });
    const count = await writeExport(records, o.format, o.output, io.stdout);
    if (report === undefined) throw new Error('the salvage ended without its report');
    const found = salvageSummary(report);
    const where = toFile ? ` to ${o.output}` : '';
    const details = {
      exported: count,
      format: o.format,
      ...(toFile ? { output: o.output } : {}),
      ...found.details,
    };
    if (found.lost === 0) {
      const text = `salvaged ${plural(count, 'peer')}${where} (${o.format}): nothing was damaged`;
      if (toFile) out.result(details, text);
      else io.stderr.write(`${text}\n`);
      return;
    }
    const message = `salvaged ${plural(count, 'peer')}${where} (${o.format}) from ${redactSecrets(opts.storage)}, which is damaged: ${found.text}`;
    if (toFile) throw new CommandFailed('STORAGE_DAMAGED', message, details);
    io.stderr.write(`pm peers export: ${message}\n`);
    throw new AlreadyReported(EXIT_FAILURE);
  } finally {
    await storage.close();
  }
}

/** What a salvage lost, in words and for `--json`. */
function salvageSummary(report: SalvageReport): {
  lost: number;
  text: string;
  details: Record<string, unknown>;
} {
  const stretches = report.losses.filter((l) => l.kind === 'damaged');
  const setAside = report.losses.filter((l) => l.kind === 'record');
  const lostRows = report.lostIds?.count;
  const lost = stretches.length + setAside.length;
  const parts: string[] = [];
  if (stretches.length > 0) {
    const named = report.lostIds?.ids ?? [];
    parts.push(
      `${plural(stretches.length, 'damaged part')} of the peers table${
        lostRows === undefined
          ? ' (which peers they held is unknown: the id index cannot be read either)'
          : `, holding ${report.lostIds?.complete ? '' : 'at least '}${plural(lostRows, 'peer')}${named.length > 0 ? ` (ids ${named.slice(0, 10).join(', ')}${lostRows > 10 ? ', ...' : ''})` : ''}${report.lostIds?.complete ? '' : ' (the id index is damaged too: it cannot name them all)'}`
      }`,
    );
  }
  if (setAside.length > 0)
    parts.push(
      `${plural(setAside.length, 'row')} set aside as no valid record (${setAside
        .slice(0, 5)
        .map((l) => `peer ${l.id}: ${l.reason}`)
        .join('; ')}${setAside.length > 5 ? '; ...' : ''})`,
    );
  return {
    lost,
    text: parts.join('; '),
    details: {
      damaged: stretches.map((l) => ({
        fromSeq: String(l.fromSeq),
        throughSeq: String(l.throughSeq),
        unread: l.unread === null ? null : String(l.unread),
        reason: l.reason,
      })),
      lostPeers: lostRows ?? null,
      /** Whether lostPeers counts every peer lost (false: the id index is damaged too, more may be lost). */
      lostPeersComplete: report.lostIds?.complete ?? null,
      lostIds: (report.lostIds?.ids ?? []).map(String),
      setAside: setAside.map((l) => ({ id: String(l.id), reason: l.reason })),
    },
  };
}

async function importCommand(
  { opts, out }: CommandEnv,
  [source]: string[],
  o: { format?: ImportFormat },
): Promise<void> {
  let skipped = 0;
  const result = await importPeers(source!, {
    ...(o.format ? { format: o.format } : {}),
    // pm's own exports are read and checked in a worker thread while this one writes.
    readInWorker: true,
    onSkip: () => {
      skipped += 1;
    },
  });
  await withStorage(opts, 'writes', async (storage) => {
    const counts = await restorePeers(storage, result);
    const total = counts.restored + counts.merged;
    if (total === 0 && skipped > 0) {
      // Every row was refused (nothing was written): not a success.
      const first = result.notes.find((n) => n.startsWith('skipped: '));
      throw new CommandFailed(
        'NOTHING_IMPORTED',
        `nothing imported from ${redactSecrets(source!)} (${result.format}): all ${plural(skipped, 'row')} skipped${first ? ` (${first.slice('skipped: '.length)})` : ''}`,
        { format: result.format, imported: 0, skipped, notes: result.notes },
      );
    }
    out.result({ format: result.format, imported: total, ...counts, skipped, notes: result.notes }, () =>
      [
        `imported ${total} peers from ${redactSecrets(source!)} (${result.format}): ${counts.restored} new written as exported, ${counts.merged} merged`,
        ...result.notes.map((n) => `  ${n}`),
      ].join('\n'),
    );
  });
}
