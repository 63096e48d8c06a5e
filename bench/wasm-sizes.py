#!/usr/bin/env python3
"""What makes the WASM heavy: code bytes by crate, by the app module a function is for
(monomorphized library code included), and the largest functions.

    python3 bench/wasm-sizes.py FILE.wasm [N]

Needs the name section, so give it the module before wasm-opt, e.g. what cargo builds for the
release site: $CARGO_TARGET_DIR/front/wasm32-unknown-unknown/wasm-release/frontend.wasm.
(The figures are before wasm-opt; -Oz takes roughly a sixth off the code.)
With --split, the main module before wasm-bindgen is frontend_split.wasm in the same folder.
Built with RUSTFLAGS="-C symbol-mangling-version=v0", names keep a monomorphization's type
arguments, so library code instantiated for an app type is counted for that app module."""
import sys, re, collections

def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i

def name(b, i):
    n, i = leb(b, i); return b[i:i+n].decode('utf-8', 'replace'), i + n

data = open(sys.argv[1], 'rb').read()
APP = collections.Counter()
top = int(sys.argv[2]) if len(sys.argv) > 2 else 40
i = 8; nimports = 0; bodies = []; names = {}; sections = collections.Counter()
while i < len(data):
    sid = data[i]; i += 1
    size, i = leb(data, i); end = i + size
    if sid == 0:
        nm, j = name(data, i); sections['custom:' + nm] += size
        if nm == 'name':
            while j < end:
                sub = data[j]; j += 1; ssize, j = leb(data, j); send = j + ssize
                if sub == 1:
                    cnt, j = leb(data, j)
                    for _ in range(cnt):
                        idx, j = leb(data, j); n, j = name(data, j); names[idx] = n
                j = send
    else:
        sections[{1:'type',2:'import',3:'function',5:'memory',6:'global',7:'export',9:'elem',10:'code',11:'data'}.get(sid, str(sid))] += size
        if sid == 2:
            cnt, j = leb(data, i)
            for _ in range(cnt):
                _, j = name(data, j); _, j = name(data, j); kind = data[j]; j += 1
                if kind == 0: _, j = leb(data, j); nimports += 1
                elif kind == 1: j += 1; fl, j = leb(data, j); _, j = leb(data, j); j = leb(data, j)[1] if fl & 1 else j
                elif kind == 2: fl, j = leb(data, j); _, j = leb(data, j); j = leb(data, j)[1] if fl & 1 else j
                elif kind == 3: j += 2
        if sid == 10:
            cnt, j = leb(data, i)
            for k in range(cnt):
                bs, j = leb(data, j); bodies.append((nimports + k, bs)); j += bs
    i = end

def demangle(n):
    if not n.startswith('_ZN'): return n
    i = 3; parts = []
    while i < len(n) and n[i].isdigit():
        j = i
        while n[j].isdigit(): j += 1
        l = int(n[i:j]); parts.append(n[j:j+l]); i = j + l
    if parts and re.fullmatch(r'h[0-9a-f]{16}', parts[-1]): parts.pop()
    s = '::'.join(parts)
    for a, b in (('$LT$', '<'), ('$GT$', '>'), ('$u20$', ' '), ('$RF$', '&'), ('$LP$', '('), ('$RP$', ')'), ('$C$', ','), ('$u7b$', '{'), ('$u7d$', '}'), ('$BP$', '*'), ('$u27$', "'"), ('$u5b$', '['), ('$u5d$', ']'), ('$u3b$', ';'), ('..', '::')):
        s = s.replace(a, b)
    return s

def v0_path_after(n, i):
    """The `<len><ident>` identifiers of a v0-mangled name from position `i` on."""
    out = []
    while True:
        m = re.match(r'(\d+)_?', n[i:])
        if not m: return out
        l = int(m.group(1)); word = n[i + m.end():i + m.end() + l]
        if not l or not re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*', word): return out
        out.append(word); i += m.end() + l

def app_module(n):
    """The first app module a name mentions: `layout`, `client`, `pages::assets`, …"""
    m = re.search(r'app::(pages::[a-z_]+|[a-z_]+)', n)
    if m: return m.group(1)
    # v0 (`_R…`, built with `-C symbol-mangling-version=v0`): the crate root is
    # `C<disambiguator>_3app`, followed by its module path.
    m = re.search(r'C(?:s[0-9A-Za-z]*_)?3app', n)
    if m:
        ids = v0_path_after(n, m.end())
        if ids: return f'pages::{ids[1]}' if ids[0] == 'pages' and len(ids) > 1 else ids[0]
    return None

def crate(n):
    if n.startswith('_R'):
        m = re.search(r'C(?:s[0-9A-Za-z]*_)?(\d+)', n)
        ids = v0_path_after(n, m.start(1)) if m else []
        return ids[0] if ids else n[:30]
    n = re.sub(r'^_?<(.*? as )?', '', n)
    m = re.match(r'([A-Za-z_][A-Za-z0-9_]*)::', n)
    return m.group(1) if m else ('<unnamed>' if not n else n.split('(')[0][:30])

print('names known for', sum(1 for idx, _ in bodies if idx in names), 'of', len(bodies), 'functions')
by = collections.Counter()
for idx, bs in bodies:
    n = demangle(names.get(idx, '')); names[idx] = n; by[crate(n)] += bs
    APP[app_module(n) or '(no app:: in name)'] += bs
print('file', len(data), 'bytes; sections:', dict(sections.most_common()))

print('\ncode bytes by crate:')
for c, s in by.most_common(top): print(f'{s:>9}  {c}')
print('\ncode bytes by the app module named in the function (monomorphizations included):')
for c, s_ in APP.most_common(top): print(f'{s_:>9}  {c}')
print('\nlargest functions:')
for idx, bs in sorted(bodies, key=lambda x: -x[1])[:top]: print(f'{bs:>9}  {names.get(idx, "?")[:160]}')
