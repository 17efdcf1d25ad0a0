#!/usr/bin/python3
"""Writes the seed corpus of rules_sql_fuzz into corpus/rules_sql/.

Each file is one input: SQL text, optionally followed by a NUL byte and a
payload to evaluate it against (without one, the target uses its own
payloads). Seeds cover every construct and a sample of functions.
Run: /usr/bin/python3 tests/fuzz/make_rules_corpus.py
"""

import hashlib
import os

P = '{"temperature":38.5,"humidity":61,"name":"Sensor-01","tags":["a","b"],' \
    '"items":{"T":{"value":1,"time":2}},"a":{"b":[1,2]},"t":"x"}'

SEEDS = [
    "SELECT * FROM \"/+/+/user/update\" WHERE temperature > 38",
    "SELECT temperature AS t, deviceName() AS dn, timestamp() AS ts FROM \"/a/+/user/update\" "
    "WHERE t > 38 AND dn LIKE 'sensor%'",
    "SELECT *, upper(name) AS n FROM \"#\" WHERE humidity IN (60, 61) OR NOT tags IS NULL",
    "SELECT a.b[1] AS x, a.b[-1], `odd key`, \"q\" FROM \"t/#\"",
    "SELECT CASE WHEN temperature > 40 THEN 'hot' ELSE 'ok' END AS s FROM \"#\"",
    "SELECT CASE humidity WHEN 61 THEN 1 END AS s FROM \"#\"",
    "SELECT {\"k\": [1, 'x', topic(1)], 'n': {a: null}} AS o FROM \"#\"",
    "SELECT thingPropertyFlatMap(), thingPropertyFlatMap(T) AS m FROM \"#\"",
    "SELECT concat(clientId(), '-', qos()) AS c, crypto(name, 'SHA-256') AS h FROM \"#\"",
    "SELECT regex_replace(name, '(\\d+)', '<\\1>') AS r, regex_match(name, '^S') AS m FROM \"#\"",
    "SELECT sprintf('%05.1f|%s|%x', temperature, name, 255) AS s FROM \"#\"",
    "SELECT format_date('millisecond', '+08:00', '%Y-%m-%d %H:%M:%S.%3N') AS d, "
    "unix_ts_to_rfc3339(1700000000) AS u, rfc3339_to_unix_ts('2023-11-14T22:13:20Z') AS v FROM \"#\"",
    "SELECT json_decode('{\"a\":[1,2]}').a[0] AS j, json_encode(tags) AS e, map_get('T.value', items) AS g FROM \"#\"",
    "SELECT split('a,b', ',') AS s, nth(1, tags) AS n, first(tags) AS f, last(tags) AS l, contains('a', tags) AS c FROM \"#\"",
    "SELECT substring(name, 1, 3) AS s, strlen(name) AS l, trim(' x ') AS t, replace(name, 'S', 's') AS r FROM \"#\"",
    "SELECT abs(-1) + floor(1.5) * ceil(1.2) / round(2.5) % 2 - power(2, 3) AS x, log(100), sqrt(4) AS q FROM \"#\"",
    "SELECT int('3'), float('1.5'), str(1), bool('true'), is_null(x), coalesce(x, 1), nanvl(x, 2) FROM \"#\"",
    "SELECT payload() AS p, payload('json') AS j, payload('base64') AS b, to_hex(payload()) AS h FROM \"#\"",
    "SELECT newuuid() AS id, rand() AS r, messageId() AS m, attribute('room') AS a FROM \"#\" WHERE id IS NOT NULL",
    "SELECT t FROM \"#\" WHERE t LIKE 'a!_%' ESCAPE '!' -- comment\n",
    "SELECT a /* comment */ FROM '$SYS/x' ;",
    "SELECT ((((((1)))))) AS x FROM \"#\"",
    "SELECT 1 FROM \"#\" WHERE a = 1 OR a = 2 OR a = 3 OR a = 4",
    # Invalid ones: the error paths.
    "SELECT FROM \"#\"",
    "SELECT a FROM \"a/#/b\"",
    "SELECT 'unterminated FROM \"#\"",
    "SELECT abs('x') AS r FROM \"#\"",
]
PAYLOAD_SEEDS = [
    ("SELECT * FROM \"#\" WHERE temperature > 38", P),
    ("SELECT a.b[0] AS x, thingPropertyFlatMap() FROM \"#\"", '{"a":{"b":[{"c":1}]},"params":{"x":{"value":2}}}'),
    ("SELECT * FROM \"#\"", '  { "a" : "\\u00e9\\n" , "b" : [ 1.5e3 , true , null ] }  '),
    ("SELECT payload() AS p FROM \"#\"", "\x00\x01\xff binary"),
    ("SELECT a FROM \"#\"", "[" * 70 + "]" * 70),
]

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "rules_sql")
os.makedirs(out, exist_ok=True)
for sql in SEEDS:
    data = sql.encode()
    open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb").write(data)
for sql, payload in PAYLOAD_SEEDS:
    data = sql.encode() + b"\0" + payload.encode("latin-1" if "\xff" in payload else "utf-8")
    open(os.path.join(out, hashlib.sha1(data).hexdigest()), "wb").write(data)
print(f"{len(SEEDS) + len(PAYLOAD_SEEDS)} seeds in {out}")
