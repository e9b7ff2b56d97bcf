# Retrieval reference for Quill's RAG tests: a small hand-written corpus, sentence-transformers cosine
# similarities of all-MiniLM-L6-v2 embeddings (dense), and rank_bm25's BM25Okapi scores with SQLite
# FTS5's parameters (k1 = 1.2, b = 0.75, idf = ln((N - n + 0.5) / (n + 0.5)), unicode61-like tokens).
# What is embedded and keyword-indexed is what Quill's index uses: title, newline, chunk text (each
# document here fits one chunk).
#
# Run:  /work/venv-rag/bin/python Scripts/reference/rag_reference.py [--model .assets/all-MiniLM-L6-v2]
# Writes Tests/QuillAssistantTests/Fixtures/rag/retrieval.json. Needs sentence-transformers, torch, rank_bm25.

import argparse
import json
import math
import os
import re

import numpy as np
from rank_bm25 import BM25Okapi
from sentence_transformers import SentenceTransformer

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "Tests", "QuillAssistantTests", "Fixtures", "rag", "retrieval.json")

DOCUMENTS = [
    ("printing.md", "Printing press",
     "Johannes Gutenberg combined movable metal type, oil-based ink and a wooden screw press around 1440. "
     "Within fifty years presses were at work in more than two hundred European cities."),
    ("volcano.md", "Volcanoes",
     "A volcano is a rupture in the crust of a planet through which lava, ash and gases escape. "
     "Mount Etna in Sicily is one of the most active volcanoes on Earth."),
    ("bread.md", "Sourdough bread",
     "Sourdough is leavened by wild yeast and lactic acid bacteria kept alive in a starter. "
     "Bakers feed the starter with flour and water and let the dough ferment slowly overnight."),
    ("chess.md", "Chess openings",
     "The Sicilian Defence answers the king's pawn with a pawn on the c-file. "
     "Grandmasters study openings for years to reach comfortable middlegame positions."),
    ("orbit.md", "Orbital mechanics",
     "A satellite in low Earth orbit circles the planet in about ninety minutes. "
     "Kepler's laws describe elliptical orbits, and a rocket burn changes the orbit's shape."),
    ("bees.md", "Honey bees",
     "Honey bees communicate the direction of flowers with a waggle dance inside the hive. "
     "A colony of workers, drones and a single queen stores nectar as honey for winter."),
    ("rivers.md", "The Nile",
     "The Nile flows north through eleven countries into the Mediterranean Sea. "
     "Its annual flood deposited silt that made farming along its banks possible in ancient Egypt."),
    ("compilers.md", "Compilers",
     "A compiler translates source code into machine code in passes: parsing, type checking, "
     "optimisation and code generation. Register allocation assigns variables to processor registers."),
]

DENSE_QUERIES = [
    "Who invented printing with movable type?",
    "How do bees tell each other where flowers are?",
    "Which river made agriculture possible in ancient Egypt?",
    "How long does a satellite take to go around the Earth?",
    "What makes sourdough rise?",
]

# Content words only, each in fewer than half of the documents, so every idf is positive and FTS5's
# floor for non-positive idf (1e-6) and rank_bm25's epsilon floor never differ.
BM25_QUERIES = [
    "Gutenberg printing press",
    "Sicilian volcano Etna",       # "Sicilian" / "Sicily" differ: only exact tokens match
    "orbit planet Earth",
    "starter flour dough",
    "pawn queen colony",
]


def tokens(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, ".assets", "all-MiniLM-L6-v2"))
    args = ap.parse_args()
    bodies = [f"{title}\n{text}" for _, title, text in DOCUMENTS]

    st = SentenceTransformer(args.model, device="cpu")
    assert st.max_seq_length == 256
    doc_emb = st.encode(bodies, normalize_embeddings=True, convert_to_numpy=True).astype(np.float64)
    q_emb = st.encode(DENSE_QUERIES, normalize_embeddings=True, convert_to_numpy=True).astype(np.float64)
    cosines = q_emb @ doc_emb.T
    assert all(len(st.tokenize([b])["input_ids"][0]) < 256 for b in bodies)

    corpus = [tokens(b) for b in bodies]
    bm25 = BM25Okapi(corpus, k1=1.2, b=0.75)
    N = len(corpus)
    bm25_scores = []
    for q in BM25_QUERIES:
        for term in set(tokens(q)):
            n = sum(term in doc for doc in corpus)
            assert n < N / 2, f"'{term}' is in {n}/{N} documents: its idf would not be positive"
            assert abs(bm25.idf.get(term, 0) - (math.log((N - n + 0.5) / (n + 0.5)) if n else 0)) < 1e-12
        bm25_scores.append(bm25.get_scores(tokens(q)).tolist())

    out = {
        "model": "all-MiniLM-L6-v2 (sentence-transformers, max_seq_length 256, normalised)",
        "documents": [{"source": s, "title": t, "text": x} for s, t, x in DOCUMENTS],
        "dense": [{"query": q, "cosines": c.tolist()} for q, c in zip(DENSE_QUERIES, cosines)],
        "bm25": [{"query": q, "scores": s} for q, s in zip(BM25_QUERIES, bm25_scores)],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for q, c in zip(DENSE_QUERIES, cosines):
        print(f"{q!r}: best {DOCUMENTS[int(np.argmax(c))][0]} ({c.max():.4f})")
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
