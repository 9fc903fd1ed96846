/**
 * A command's arguments: positionals, and `--name value` / `--name=value` options (repeatable)
 * and `--flag` switches, checked against what the command takes.
 */

export interface Parsed {
  positionals: string[];
  options: Map<string, string[]>;
  switches: Set<string>;
}

/** The problem, naming the option (never quoting a value), or the parsed arguments. */
export function parseArguments(
  args: readonly string[],
  takes: { options: readonly string[]; switches: readonly string[] },
): Parsed | string {
  const parsed: Parsed = { positionals: [], options: new Map(), switches: new Set() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (!arg.startsWith("--")) {
      parsed.positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf("=");
    const name = equals < 0 ? arg.slice(2) : arg.slice(2, equals);
    if (takes.switches.includes(name)) {
      if (equals >= 0) return `--${name} takes no value`;
      parsed.switches.add(name);
      continue;
    }
    if (!takes.options.includes(name)) return `unknown option --${name}`;
    let value: string | undefined;
    if (equals >= 0) value = arg.slice(equals + 1);
    else {
      value = args[i + 1];
      i += 1;
    }
    if (value === undefined || value === "") return `--${name} needs a value`;
    parsed.options.set(name, [...(parsed.options.get(name) ?? []), value]);
  }
  return parsed;
}

/** Every value given for an option, each split at spaces and commas: `--scope "a b"` is two. */
export function listOption(parsed: Parsed, name: string): string[] {
  return (parsed.options.get(name) ?? []).flatMap((value) =>
    value.split(/[\s,]+/).filter((item) => item !== ""),
  );
}
