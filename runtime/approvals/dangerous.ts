import { parseShell, type SimpleCommand } from './shellWords.js';

/**
 * Dangerous-action detection: pure functions from a command line or a path to the reasons a person should look at
 * it first (empty: nothing found). It is a tripwire for the approval policy, not a sandbox: the sandbox is what
 * contains an agent; this decides when a human is asked.
 */

export interface DangerOptions {
  /** Paths that name the agent's home as its commands see it (default ['/home/agent']). */
  homeAliases?: readonly string[];
}

const DEFAULT_HOME = ['/home/agent'];
const words = (list: string) => new Set(list.split(' '));
/** Absolute places an agent may write without it counting as "outside the home". */
const SCRATCH = [
  /^\/tmp(\/|$)/,
  /^\/var\/tmp(\/|$)/,
  /^\/dev\/(null|zero|stdout|stderr|tty|fd\/\d+)$/,
  /^\/proc\/self\/fd\//,
];

/** Prefixes that run the rest of the words as a command. */
const WRAPPERS = words('env nohup time command builtin exec stdbuf setsid chronic unbuffer');
const WRAPPERS_WITH_ARG = words('nice ionice timeout xargs watch flock');
const PRIVILEGE = words('sudo su doas pkexec run0');
const SHELLS = words('sh bash zsh dash ksh fish ash busybox');
const INTERPRETERS = new Set([...SHELLS, 'python', 'python3', 'perl', 'ruby', 'node', 'php', 'lua']);
const DOWNLOADERS = words('curl wget fetch aria2c http https xh');
const DISK_TOOLS = words('mkfs mke2fs mkswap wipefs fdisk sfdisk gdisk parted shred blkdiscard hdparm');
const POWER = words('shutdown reboot halt poweroff telinit');
const SYSTEM = words(
  'mount umount swapon swapoff insmod rmmod modprobe iptables ip6tables nft ufw sysctl chroot useradd userdel usermod passwd visudo crontab',
);
/** Programs whose last (or -t) argument is where they write. */
const WRITERS = words(
  'cp mv install ln rsync tee touch truncate mkdir chmod chown chgrp sed dd tar unzip rm rmdir shred',
);

export function assessCommand(command: string, options: DangerOptions = {}): string[] {
  const reasons = new Set<string>();
  assessLine(command, options, reasons, 0);
  return [...reasons];
}

/**
 * What text given to a command as its standard input (run_command's input) makes it do, beyond its command line: a
 * shell that reads its script there runs it (looked at like a command line), another interpreter runs it as code
 * these checks cannot read, and xargs makes it arguments. Text for any other program is data.
 */
export function assessCommandInput(command: string, input: string, options: DangerOptions = {}): string[] {
  const reasons = new Set<string>();
  assessInputOf(command, input, options, reasons, 0);
  return [...reasons];
}

/** Options of interpreters that take the program as an argument: standard input is then data. */
const INLINE_CODE: Record<string, RegExp> = {
  python: /^-[a-zA-Z]*[cm]$/,
  python3: /^-[a-zA-Z]*[cm]$/,
  perl: /^-[a-zA-Z]*[eE]$/,
  ruby: /^-[a-zA-Z]*e$/,
  node: /^(-[a-zA-Z]*[ep]|--eval|--print)$/,
  php: /^-[a-zA-Z]*[rB]$/,
  lua: /^-[a-zA-Z]*e$/,
};
/** Shell options that take a value (not a script's name). */
const SHELL_VALUED = /^[-+][oO]$/;

function assessInputOf(
  line: string,
  input: string,
  options: DangerOptions,
  reasons: Set<string>,
  depth: number,
): void {
  if (depth > 4) return;
  const { commands } = parseShell(line);
  commands.forEach((cmd, i) => {
    const previous = commands[i - 1];
    // a command fed by a pipe or a redirection reads that, not the input
    if (previous?.next === '|' || previous?.next === '|&') return;
    if (cmd.redirects.some(({ op }) => op.includes('<'))) return;
    const words = unwrap(cmd.words, new Set());
    const program = programName(words[0]);
    if (!program) return;
    const args = words.slice(1);
    const wrappers = cmd.words.slice(0, cmd.words.length - words.length);
    if (wrappers.some((word) => programName(word) === 'xargs')) {
      const appended = input.split(/\s+/).filter(Boolean);
      assessSimple({ words: [...words, ...appended], redirects: [] }, undefined, options, reasons, depth + 1);
    } else if (SHELLS.has(program)) {
      const inline = args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a));
      if (inline !== -1) {
        const script = args[inline + 1];
        if (script !== undefined) assessInputOf(script, input, options, reasons, depth + 1);
      } else if (args.includes('-s') || [undefined, '-'].includes(scriptOperand(args, SHELL_VALUED))) {
        assessLine(input, options, reasons, depth + 1);
      }
    } else if (INTERPRETERS.has(program)) {
      const inline = INLINE_CODE[program];
      const script = scriptOperand(args, /^$/);
      if (!args.some((a) => inline?.test(a)) && (script === undefined || script === '-'))
        reasons.add(`runs its standard input as ${program} code, which these checks cannot read`);
    }
  });
}

/** The first argument that is not an option (nor an option's value): a script's name; undefined when none. */
function scriptOperand(args: readonly string[], valued: RegExp): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return args[i + 1];
    if (arg === '-' || !/^[-+]/.test(arg)) return arg;
    if (valued.test(arg)) i++;
  }
  return undefined;
}

function assessLine(line: string, options: DangerOptions, reasons: Set<string>, depth: number): void {
  if (depth > 4) return;
  wholeLineChecks(line, reasons);
  const { commands, nested } = parseShell(line);
  commands.forEach((cmd, i) => assessSimple(cmd, commands[i - 1], options, reasons, depth));
  for (const inner of nested) assessLine(inner, options, reasons, depth + 1);
}

/** Shapes that are clearer as text than as parsed words. */
function wholeLineChecks(line: string, reasons: Set<string>): void {
  // :(){ :|:& };:  and renamed variants: a function that pipes into itself in the background
  if (
    /(\S+)\s*\(\s*\)\s*\{[^}]*\1\s*\|\s*\1\s*&/.test(line) ||
    /fork\s+while\s+fork|while\s*\(?\s*(true|1)\s*\)?\s*[;{]?\s*(do)?\s*fork/.test(line)
  ) {
    reasons.add('a fork bomb (a process that multiplies until the system stalls)');
  }
  if (/\/dev\/(tcp|udp)\//.test(line))
    reasons.add('opens a raw network connection (/dev/tcp), the usual shape of a reverse shell');
}

function assessSimple(
  cmd: SimpleCommand,
  previous: SimpleCommand | undefined,
  options: DangerOptions,
  reasons: Set<string>,
  depth: number,
): void {
  const words = unwrap(cmd.words, reasons);
  const program = programName(words[0]);
  const args = words.slice(1);

  for (const { op, target } of cmd.redirects) {
    if (!op.includes('>')) continue;
    if (/^\/dev\/(sd|hd|nvme|vd|xvd|mmcblk|disk|mapper|md|loop)/.test(target))
      reasons.add(`writes straight to a disk device (> ${target})`);
    else if (outsideHome(target, options)) reasons.add(`writes outside the home (> ${target})`);
  }

  if (!program) return;
  const pipedFrom =
    previous?.next === '|' || previous?.next === '|&'
      ? programName(unwrap(previous.words, new Set())[0])
      : undefined;
  if (INTERPRETERS.has(program) && pipedFrom) {
    if (DOWNLOADERS.has(pipedFrom))
      reasons.add(`pipes a download into ${program} (${pipedFrom} | ${program}): runs code nobody has read`);
    else if (pipedFrom === 'base64' || pipedFrom === 'xxd')
      reasons.add(`pipes decoded data into ${program}: runs hidden code`);
  }
  if (SHELLS.has(program)) {
    const inline = args.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a));
    if (inline !== -1 && args[inline + 1] !== undefined) {
      const script = args[inline + 1]!;
      if (/\$\(\s*(curl|wget)\b/.test(script))
        reasons.add(`runs a download with ${program} -c "$(${/wget/.test(script) ? 'wget' : 'curl'} ...)"`);
      assessLine(script, options, reasons, depth + 1);
    }
    const file = args.find((a) => !a.startsWith('-'));
    if (inline === -1 && file?.startsWith('$(') && /\b(curl|wget)\b/.test(file))
      reasons.add(`runs a download with ${program} <(...)`);
  }

  switch (program) {
    case 'rm':
      if (args.some((a) => /^-[a-zA-Z]*[rR]/.test(a) || a === '--recursive'))
        reasons.add('deletes recursively (rm -r)');
      for (const target of operands(args)) if (isRootish(target)) reasons.add(`deletes ${target}`);
      break;
    case 'find':
      if (args.includes('-delete')) reasons.add('deletes every file it finds (find -delete)');
      if (
        args.some(
          (a, i) =>
            (a === '-exec' || a === '-execdir' || a === '-ok') &&
            /^(rm|shred|unlink)$/.test(programName(args[i + 1]) ?? ''),
        )
      ) {
        reasons.add('deletes every file it finds (find -exec rm)');
      }
      break;
    case 'chmod': {
      const recursive = args.some((a) => /^-[a-zA-Z]*R/.test(a) || a === '--recursive');
      const wide = args.some((a) => /^0?777$|^[ugoa]*\+[rwx]*w[rwx]*$/.test(a) && /7|a\+|o\+/.test(a));
      if (recursive && wide) reasons.add('makes a whole tree writable by everyone (chmod -R 777)');
      else if (wide && operands(args).some(isRootish))
        reasons.add('makes a system folder writable by everyone');
      break;
    }
    case 'chown':
    case 'chgrp':
      if (
        args.some((a) => /^-[a-zA-Z]*R/.test(a) || a === '--recursive') &&
        operands(args).some((a) => a.startsWith('/') && outsideHome(a, options))
      ) {
        reasons.add(`changes ownership of a tree outside the home (${program} -R)`);
      }
      break;
    case 'dd': {
      const of = args.find((a) => a.startsWith('of='))?.slice(3);
      if (of?.startsWith('/dev/') && !SCRATCH.some((re) => re.test(of)))
        reasons.add(`writes straight to a device (dd of=${of})`);
      else if (of && outsideHome(of, options)) reasons.add(`writes outside the home (dd of=${of})`);
      break;
    }
    case 'git':
      if (
        args[0] === 'push' &&
        args.some((a) => a.startsWith('--force') || /^-[a-zA-Z]*f[a-zA-Z]*$/.test(a) || a.startsWith('+'))
      ) {
        reasons.add('rewrites a remote branch (git push --force)');
      }
      if (args[0] === 'clean' && args.some((a) => /^-[a-zA-Z]*f/.test(a)))
        reasons.add('deletes untracked files (git clean -f)');
      if (args[0] === 'reset' && args.includes('--hard'))
        reasons.add('discards uncommitted work (git reset --hard)');
      break;
    case 'kill':
      if (args.at(-1) === '-1') reasons.add('signals every process it may (kill -1)');
      break;
    case 'killall':
    case 'pkill':
      reasons.add(`kills processes by name (${program})`);
      break;
    case 'nc':
    case 'ncat':
    case 'netcat':
      if (args.some((a) => a === '-e' || a === '-c' || a.startsWith('--exec') || a.startsWith('--sh-exec')))
        reasons.add(`hands a shell to the network (${program} -e)`);
      break;
    case 'init':
      if (args[0] === '0' || args[0] === '6') reasons.add('shuts down or reboots the machine');
      break;
    case 'systemctl':
      if (['poweroff', 'reboot', 'halt', 'kexec', 'stop', 'disable', 'mask'].includes(args[0] ?? ''))
        reasons.add(`changes system services (systemctl ${args[0]})`);
      break;
  }
  if (DISK_TOOLS.has(program) || program.startsWith('mkfs.'))
    reasons.add(`can destroy a file system or disk (${program})`);
  if (POWER.has(program)) reasons.add(`shuts down or reboots the machine (${program})`);
  if (SYSTEM.has(program)) reasons.add(`changes the system's configuration (${program})`);
  if (WRITERS.has(program) && program !== 'rm') {
    const target = writeTarget(program, args);
    if (target === '/dev/null' && (program === 'mv' || program === 'cp'))
      reasons.add(`throws files away (${program} ... /dev/null)`);
    else if (target && outsideHome(target, options))
      reasons.add(`writes outside the home (${program} ... ${target})`);
  } else if (program === 'rm') {
    const outside = operands(args).find((a) => outsideHome(a, options));
    if (outside) reasons.add(`deletes outside the home (${outside})`);
  }
}

/** Strips prefixes that run another command (sudo, env VAR=x, nice -n 5, ...), noting privilege on the way. */
function unwrap(words: readonly string[], reasons: Set<string>): string[] {
  let rest = [...words];
  for (let guard = 0; guard < 10 && rest.length; guard++) {
    const first = rest[0]!;
    const name = programName(first) ?? '';
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(first)) rest = rest.slice(1);
    else if (PRIVILEGE.has(name)) {
      reasons.add(`runs as another user (${name})`);
      rest = skipOptions(
        rest.slice(1),
        name === 'su' ? ['-c'] : ['-u', '-g', '-U', '-C', '-h', '-p', '-r', '-t'],
      );
      if (name === 'su') {
        const c = words.indexOf('-c');
        rest = c === -1 ? [] : [...parseShell(words[c + 1] ?? '').commands.flatMap((cmd) => cmd.words)];
      }
    } else if (WRAPPERS.has(name)) rest = skipOptions(rest.slice(1), ['-u', '-S', '-C']);
    else if (WRAPPERS_WITH_ARG.has(name)) {
      rest = rest.slice(1);
      const valued = name === 'xargs' ? /^-[nLPIdsaE]$/ : /^-[a-zA-Z]$/;
      while (rest.length && rest[0]!.startsWith('-')) rest = rest.slice(valued.test(rest[0]!) ? 2 : 1);
      if ((name === 'timeout' || name === 'flock') && rest.length) rest = rest.slice(1); // the duration, the lock
    } else break;
  }
  return rest;
}

function skipOptions(words: string[], withValue: readonly string[]): string[] {
  let i = 0;
  while (i < words.length && words[i]!.startsWith('-')) i += withValue.includes(words[i]!) ? 2 : 1;
  return words.slice(i);
}

function programName(word: string | undefined): string | undefined {
  if (!word) return undefined;
  const base = word.replace(/^\\/, '').split('/').pop() ?? '';
  return base || undefined;
}

function operands(args: readonly string[]): string[] {
  const out: string[] = [];
  let literal = false;
  for (const a of args) {
    if (!literal && a === '--') literal = true;
    else if (literal || !a.startsWith('-')) out.push(a);
  }
  return out;
}

function writeTarget(program: string, args: readonly string[]): string | undefined {
  if (program === 'dd') return undefined; // handled with of=
  if (program === 'sed')
    return args.some((a) => /^-[a-zA-Z]*i/.test(a) || a.startsWith('--in-place'))
      ? operands(args).at(-1)
      : undefined;
  if (program === 'tar') {
    const dir = args.findIndex((a) => a === '-C' || a === '--directory');
    return dir === -1 ? undefined : args[dir + 1];
  }
  const t = args.findIndex((a) => a === '-t' || a === '--target-directory');
  if (t !== -1) return args[t + 1];
  const ops = operands(args);
  if (
    program === 'tee' ||
    program === 'touch' ||
    program === 'truncate' ||
    program === 'mkdir' ||
    program === 'rmdir' ||
    program === 'shred'
  ) {
    return ops.find((a) => a.startsWith('/') || a.startsWith('..')) ?? ops[0];
  }
  if (program === 'chmod' || program === 'chown' || program === 'chgrp')
    return ops.slice(1).find((a) => a.startsWith('/') || a.startsWith('..'));
  return ops.length >= 2 ? ops.at(-1) : undefined;
}

/** '/', '/*', '~', '$HOME', '.', '*': deleting these loses everything. */
function isRootish(target: string): boolean {
  return /^(\/+\*?|\/(bin|boot|dev|etc|lib|lib64|opt|proc|root|sbin|srv|sys|usr|var)\/?\*?|~\/?\*?|\$\{?HOME\}?\/?\*?|\.\/?\*?|\*)$/.test(
    target,
  );
}

/** Whether a path (as a command or tool sees it) points outside the agent's home and its scratch places. */
export function outsideHome(path: string, options: DangerOptions = {}): boolean {
  const homes = options.homeAliases ?? DEFAULT_HOME;
  if (path.startsWith('~') || path.startsWith('$HOME') || path.startsWith('${HOME}'))
    return /^(~|\$\{?HOME\}?)\/\.\.(\/|$)/.test(path) ? true : false;
  if (path.startsWith('/')) {
    const normal = normalize(path);
    if (homes.some((home) => normal === home || normal.startsWith(`${home.replace(/\/+$/, '')}/`)))
      return false;
    return !SCRATCH.some((re) => re.test(normal));
  }
  // relative: outside only when '..' climbs above the starting folder (commands start in the home)
  let depth = 0;
  for (const part of path.split('/')) {
    if (part === '..') depth--;
    else if (part && part !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}

function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '..') parts.pop();
    else if (part && part !== '.') parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** Reasons a file tool's path deserves a look: it leaves the home, or it changes what runs automatically. */
export function assessPath(path: string, options: DangerOptions = {}): string[] {
  const reasons: string[] = [];
  if (outsideHome(path, options)) reasons.push(`writes outside the home (${path})`);
  const homes = options.homeAliases ?? DEFAULT_HOME;
  let relative = path.replace(/^~\/?/, '');
  for (const home of homes) if (relative.startsWith(`${home}/`)) relative = relative.slice(home.length + 1);
  relative = relative.replace(/^(\.\/)+/, '');
  if (/^\.(bashrc|bash_profile|profile|zshrc|bash_login|bash_logout)$/.test(relative))
    reasons.push(`changes a shell startup file (${relative})`);
  if (/^\.ssh(\/|$)/.test(relative)) reasons.push('changes SSH keys or settings (~/.ssh)');
  if (/^\.config\/plugins(\/|$)/.test(relative))
    reasons.push('installs or changes a plugin (~/.config/plugins)');
  if (/^\.config\/autostart(\/|$)/.test(relative))
    reasons.push('changes what starts automatically (~/.config/autostart)');
  return reasons;
}
