#!/bin/sh
# A shell agent: claim the best ready issue, work on it, run its gates, finish, repeat.
# Stops when jit says there is no ready work (exit code 7).
#   JIT_ACTOR=agent:loop-1 ./examples/agent-loop.sh
# Replace do_the_work with your agent (an LLM CLI, a script...). Needs jq.
set -u
: "${JIT_ACTOR:=agent:loop-$$}"
export JIT_ACTOR

do_the_work() {
  # $1: issue id; the prompt for an LLM is `jit issue context "$1"`.
  jit issue context "$1" > /dev/null
  jit issue comment "$1" --body "worked on by $JIT_ACTOR" > /dev/null
}

while :; do
  out=$(jit issue claim-next --ttl 30m --json)
  status=$?
  if [ "$status" -eq 7 ]; then
    echo "no ready work left"
    exit 0
  elif [ "$status" -ne 0 ]; then
    echo "claim-next failed: $out" >&2
    exit "$status"
  fi
  id=$(printf '%s' "$out" | jq -r .id)
  echo "working on $(printf '%s' "$out" | jq -r '.short_id + " " + .title')"
  if do_the_work "$id"; then
    jit issue update "$id" --state done --json > /dev/null   # lands in `gated` while gates are pending
    jit gate check "$id" --json > /dev/null || echo "a gate failed on $id; it stays gated"
  else
    jit issue release "$id" > /dev/null                      # give it back for another try
  fi
done
