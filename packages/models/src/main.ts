#!/usr/bin/env node
/**
 * The main job (`pnpm start`): trains the default character model on tiny Shakespeare on the best
 * backend here for a budget a newcomer accepts (3 minutes), reports the validation loss on the
 * last 10% of the text, saves the model to runs/main and prints generated text. It is
 * `recurrent train` with the defaults chosen by measurement (see packages/models/README.md);
 * every `recurrent train` option works here too, e.g. `--seconds 3 --length 20`.
 */
import { isEntry, runMainJob } from './main-job.js';

if (isEntry(import.meta.url)) process.exitCode = await runMainJob(process.argv.slice(2));
