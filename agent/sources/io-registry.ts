// What the disk, gpu and battery sources share: reading I/O Registry entries of one class through
// the addon (IOServiceMatching + IORegistryEntryCreateCFProperty, no process per collection), or,
// when the addon cannot (not built, too old, not macOS) and in `--replay`, running `ioreg` and
// parsing its text. Both give the same IoregEntry model, so each source decodes once.

import type { SourceName } from '../metrics/catalog.js';
import { AddonReader, type NativeAddonOptions } from '../native/addon.js';
import { RegistryAnswerError, registryEntriesOf, type RegistryAnswer } from '../native/ioregistry.js';
import { IoregInputError, parseIoreg, type IoregEntry } from '../parsers/ioreg.js';
import { RejectedInput } from './rejected-input.js';
import { runCommand, type RunCommandOptions } from './run-command.js';
import { SourceError, type SourceContext } from './source.js';

export interface RegistryQuery {
  readonly source: Exclude<SourceName, 'agent'>;
  /** IOServiceMatching class: subclasses match too, as with `ioreg -c`. */
  readonly className: string;
  /** The properties the addon reads of each matched entry, and of each of its children. */
  readonly keys: readonly string[];
  readonly childKeys: readonly string[];
  /** The ioreg command that prints the same entries, as the source runs it and `capture` records it. */
  readonly run: RunCommandOptions;
  /** For logs: what the entries hold, e.g. "disk statistics". */
  readonly what: string;
}

export const IOREG_TIMEOUT_MS = 5000;

export class RegistryEntries {
  readonly #ctx: SourceContext;
  readonly #query: RegistryQuery;
  readonly #rejected: RejectedInput;
  readonly #addon: AddonReader<RegistryAnswer>;

  constructor(ctx: SourceContext, query: RegistryQuery, opts: NativeAddonOptions = {}) {
    this.#ctx = ctx;
    this.#query = query;
    this.#rejected = new RejectedInput(ctx, query.source);
    this.#addon = new AddonReader({
      source: query.source, addonPath: opts.addonPath, log: ctx.log,
      notOnMacos: 'the I/O Registry is only available on macOS',
      fn: 'readRegistry', args: [query.className, query.keys, query.childKeys],
      reads: `the I/O Registry (${query.className})`, command: 'ioreg', what: query.what,
    });
  }

  get rejected(): RejectedInput {
    return this.#rejected;
  }

  /** The matched entries (roots), from the addon or from ioreg's text. */
  async read(): Promise<IoregEntry[]> {
    if (this.#ctx.replayDir === undefined) {
      const answer = this.#addon.read();
      if (answer !== undefined) {
        try {
          return registryEntriesOf(answer);
        } catch (error) {
          if (error instanceof RegistryAnswerError) throw new SourceError(this.#query.source, 'parse', `${error.message}: the addon and the agent do not match — rebuild the addon (npm rebuild in the agent's folder)`, { cause: error });
          throw error;
        }
      }
    }
    return this.#parse(await runCommand({ ...this.#query.run, replayDir: this.#ctx.replayDir }));
  }

  /** ioreg's text as entries; lines it cannot read are reported, never guessed. */
  #parse(text: string): IoregEntry[] {
    const q = this.#query;
    try {
      const tree = parseIoreg(text);
      for (const bad of tree.malformed) this.#rejected.report(`${q.run.command}: line ${bad.line}: ${bad.reason}; left out`, bad.reason);
      return tree.roots;
    } catch (error) {
      if (error instanceof IoregInputError) throw new SourceError(q.source, 'parse', `${q.run.command} ${q.run.args.join(' ')}: ${error.message}`, { cause: error });
      throw error;
    }
  }
}
