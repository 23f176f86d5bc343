#!/usr/bin/env python3
"""Extract the response schemas the simulator's fidelity tests need from the
official Confluence Cloud OpenAPI documents into one small JSON file.

Usage (from the workspace root, with the shared spec directory next to it):

    python3 crates/confluence-sim/tests/data/openapi/extract.py \
        ../shared/spec/openapi crates/confluence-sim/tests/data/openapi/schemas.json

What it does, and why:
  * keeps only the 200-response schema of each operation listed in OPERATIONS,
    plus the `components.schemas` entries they reach through `$ref`, so the
    vendored file stays small;
  * translates OpenAPI 3.0 `nullable: true` into JSON Schema (`type: [T, "null"]`,
    `null` added to `enum`, or an `anyOf` with `{"type": "null"}` when there is no
    `type`), because a JSON Schema validator does not know `nullable`;
  * keeps `$ref: "#/components/schemas/X"` as is: the test embeds the document's
    `components` in the root schema, so the pointer resolves locally;
  * drops the OpenAPI-only keywords (`example`, `xml`, `discriminator`,
    `readOnly`, `writeOnly`, `deprecated`, `externalDocs`) and descriptions.
The output is deterministic (sorted keys) so re-running it gives no diff.
"""
import hashlib
import json
import os
import sys

# document id -> file name in ../shared/spec/openapi (see SOURCES.txt there)
DOCUMENTS = {
    "v2": "confluence-cloud-v2.openapi-v2.v3.2026-07.json",
    "v1-2026-07": "confluence-cloud-v1.swagger.v3.2026-07.json",
    # The 2026-07 v1 document no longer lists GET /content, /content/{id},
    # /child/*, /space; the 2024-02 one still does (flagged deprecated).
    "v1-2024-02": "confluence-cloud-v1.swagger.v3.2024-02.primelib-retitled.json",
}

UPSTREAM = {
    "v2": "https://dac-static.atlassian.com/cloud/confluence/openapi-v2.v3.json",
    "v1-2026-07": "https://dac-static.atlassian.com/cloud/confluence/swagger.v3.json",
    "v1-2024-02": "https://dac-static.atlassian.com/cloud/confluence/swagger.v3.json",
}

# (document id, path as written in that document)
OPERATIONS = [
    ("v2", "/spaces"),
    ("v2", "/spaces/{id}"),
    ("v2", "/spaces/{id}/pages"),
    ("v2", "/pages"),
    ("v2", "/pages/{id}"),
    ("v2", "/pages/{id}/ancestors"),
    ("v2", "/pages/{id}/children"),
    ("v2", "/pages/{id}/direct-children"),
    ("v2", "/pages/{id}/descendants"),
    ("v2", "/pages/{id}/attachments"),
    ("v2", "/pages/{id}/labels"),
    ("v2", "/pages/{id}/footer-comments"),
    ("v2", "/pages/{id}/inline-comments"),
    ("v2", "/footer-comments/{id}/children"),
    ("v2", "/inline-comments/{id}/children"),
    ("v2", "/pages/{id}/versions"),
    ("v2", "/attachments/{id}"),
    ("v2", "/folders/{id}"),
    ("v2", "/blogposts"),
    ("v2", "/blogposts/{id}"),
    ("v2", "/spaces/{id}/blogposts"),
    ("v1-2024-02", "/wiki/rest/api/space"),
    ("v1-2024-02", "/wiki/rest/api/space/{spaceKey}"),
    ("v1-2024-02", "/wiki/rest/api/content/{id}"),
    ("v1-2024-02", "/wiki/rest/api/content/{id}/child/{type}"),
    ("v1-2024-02", "/wiki/rest/api/content/{id}/child/attachment"),
    ("v1-2024-02", "/wiki/rest/api/content"),
    ("v1-2026-07", "/wiki/rest/api/content/{id}/descendant/{type}"),
    ("v1-2026-07", "/wiki/rest/api/content/search"),
    ("v1-2026-07", "/wiki/rest/api/search"),
    ("v1-2026-07", "/wiki/rest/api/user"),
    ("v1-2026-07", "/wiki/rest/api/user/bulk"),
]

DROP = {"example", "examples", "xml", "discriminator", "readOnly", "writeOnly",
        "deprecated", "externalDocs", "description", "title"}


def convert(node):
    """OpenAPI 3.0 schema object -> JSON Schema (draft 4 keyword set)."""
    if isinstance(node, list):
        return [convert(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in DROP or key.startswith("x-"):
            continue
        if key == "nullable":
            continue
        if key == "properties":
            # property names are data, not keywords: never drop them
            out[key] = {name: convert(sub) for name, sub in value.items()}
            continue
        out[key] = convert(value)
    if node.get("nullable") is True:
        if "type" in out:
            t = out["type"]
            out["type"] = (t if isinstance(t, list) else [t]) + ["null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


def refs(node, found):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def main():
    src_dir, out_path = sys.argv[1], sys.argv[2]
    loaded, digests = {}, {}
    for doc_id, file_name in DOCUMENTS.items():
        raw = open(os.path.join(src_dir, file_name), "rb").read()
        digests[doc_id] = hashlib.sha256(raw).hexdigest()
        loaded[doc_id] = json.loads(raw)

    operations, needed = {}, {d: set() for d in DOCUMENTS}
    for doc_id, path in OPERATIONS:
        op = loaded[doc_id]["paths"][path]["get"]
        schema = op["responses"]["200"]["content"]["application/json"]["schema"]
        operations[f"GET {path}"] = {"document": doc_id, "schema": convert(schema)}
        refs(schema, needed[doc_id])

    documents = {}
    for doc_id, names in needed.items():
        all_schemas = loaded[doc_id]["components"]["schemas"]
        todo, done = list(names), set()
        while todo:
            name = todo.pop()
            if name in done:
                continue
            done.add(name)
            more = set()
            refs(all_schemas[name], more)
            todo.extend(more - done)
        documents[doc_id] = {
            "file": DOCUMENTS[doc_id],
            "upstream": UPSTREAM[doc_id],
            "sha256": digests[doc_id],
            "components": {"schemas": {n: convert(all_schemas[n]) for n in sorted(done)}},
        }

    with open(out_path, "w") as out:
        json.dump({"documents": documents, "operations": operations}, out,
                  sort_keys=True, indent=1, ensure_ascii=False)
        out.write("\n")


if __name__ == "__main__":
    main()
