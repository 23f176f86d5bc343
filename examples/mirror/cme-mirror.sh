#!/bin/sh
# Keeps a git repository of Markdown in step with Confluence: runs
# `cme sync` in it and commits what changed, with the sync's summary as the
# commit subject and its change lines as the body. Safe to run from cron,
# systemd or CI: quiet when nothing changed, one commit per change.
#
#   cme-mirror.sh DIR [--push]
#
# DIR is a git work tree holding an export (`cme all-spaces -o DIR` once).
# Connection settings come from the usual places (CME_URL, CME_EMAIL,
# CME_API_TOKEN or CME_PAT, or `cme config`). `CME` names the binary
# (default `cme`). Exit code: cme's (0 done, 1 done with failures or held
# deletions: what landed is committed; 2 and 130: nothing is committed).
set -eu

dir=${1:?usage: cme-mirror.sh DIR [--push]}
push=${2:-}
cme=${CME:-cme}

cd "$dir"
git rev-parse --is-inside-work-tree >/dev/null

report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
"$cme" sync -o . >"$report" || status=$?
if [ "$status" -ge 2 ]; then
    cat "$report" >&2
    exit "$status"
fi

# cme's own files are not content: keep them out of the history.
touch .gitignore
for f in .cme-state.lock .cme-state.journal .cme-state.json.bak .cme-notes.json; do
    grep -qxF "$f" .gitignore || echo "$f" >>.gitignore
done
git add -A
if git diff --cached --quiet; then
    exit "$status"
fi
# Subject: the summary line ("2 new, 1 modified, 0 deleted, 31 unchanged");
# body: the change lines ("new: DEMO/Page.md", …).
subject=$(grep -E '[0-9,]+ new, [0-9,]+ modified' "$report" | tail -n 1)
{
    echo "Confluence sync: ${subject:-changes}"
    echo
    grep -E '^ *(new|mod|del|mv|err):' "$report" | head -n 200 || true
} | git -c user.name="${GIT_AUTHOR_NAME:-cme}" -c user.email="${GIT_AUTHOR_EMAIL:-cme@localhost}" \
    commit --quiet --file=-
if [ "$push" = "--push" ]; then
    git push --quiet
fi
exit "$status"
