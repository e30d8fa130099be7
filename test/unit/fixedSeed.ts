// `npm test` must give the same answer on every run, so the property tests draw their cases from a
// fixed seed there; `npm run fuzz` (which loads no mocha config, so not this file) explores new seeds.
// FUZZ_SEED picks another seed, to replay a failure reported by `npm run fuzz`.
import fc from 'fast-check';

const chosen = Number(process.env.FUZZ_SEED);
fc.configureGlobal({ seed: Number.isInteger(chosen) ? chosen : 20261201 });
