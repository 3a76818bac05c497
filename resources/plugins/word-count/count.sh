# word-count: a sample Habitat plugin. It runs inside the agent's sandbox, as the agent, from the plugin's folder.
# The call arrives as JSON on standard input; its simple arguments also arrive as HABITAT_ARG_<name>, which is all
# this handler needs. It answers on standard output; a non-zero exit marks the answer as an error.
set -u
if [ -n "${HABITAT_ARG_path+set}" ]; then
  file="$HOME/$HABITAT_ARG_path"
  if [ ! -f "$file" ] || [ ! -r "$file" ]; then
    echo "cannot read $HABITAT_ARG_path" >&2
    exit 1
  fi
  text="$(cat -- "$file"; printf x)"
  text="${text%x}" # keeps trailing newlines, which $(...) would drop
elif [ -n "${HABITAT_ARG_text+set}" ]; then
  text="$HABITAT_ARG_text"
else
  echo "give text or path" >&2
  exit 1
fi
read -r lines words characters < <(printf '%s' "$text" | wc -l -w -m)
# a last line without a newline is a line too
if [ -n "$text" ] && [ "${text: -1}" != $'\n' ]; then lines=$((lines + 1)); fi
printf '{"lines": %d, "words": %d, "characters": %d}\n' "$lines" "$words" "$characters"
