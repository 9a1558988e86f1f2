"""Reference token ids of SentencePiece models for tests/integration/tokenizers.sh:
the library's own Python binding (Debian's python3-sentencepiece), no BOS/EOS.

    /usr/bin/python3 sentencepiece_ids.py NAME=MODEL... < texts.json
prints {"NAME": [[ids] per text], ...}.
"""
import json
import sys

import sentencepiece

texts = json.load(sys.stdin)
result = {}
for arg in sys.argv[1:]:
    name, model = arg.split("=", 1)
    sp = sentencepiece.SentencePieceProcessor(model_file=model)
    result[name] = [sp.encode(t) for t in texts]
json.dump(result, sys.stdout)
