// Independent check of a ticket's ESC/POS stream with the npos tokeniser: every byte must
// belong to a known command, and the text (GB18030 between commands) is printed as JSON.
// npos has no rule for GS ( k (QR codes): it is added here, a 16-bit length and its data.
// usage: node npos_check.js FILE  ->  {"ok":true,"lines":[...],"commands":{"ESC @":1,...}}
'use strict';
const fs = require('fs');
const iconv = require('iconv-lite');
const rules = require('npos/lib/parser/rules');
const Parser = require('npos/lib/parser');

rules[0x1d]['(k'] = [0, 'd16'];  // GS ( k pL pH cn fn ...: pL + 256 pH bytes follow

const raw = fs.readFileSync(process.argv[2]);
const ast = new Parser(rules).analyze(raw);
if (ast.error) {
  console.log(JSON.stringify({ok: false, error: String(ast.error.message)}));
  process.exit(1);
}
const text = [];
const commands = {};
let covered = 0;
for (const node of ast.tree) {
  covered += node.length;
  if (node.ascii === 'STX') {
    text.push(raw.slice(node.offset, node.offset + node.length));
  } else {
    const key = node.ascii + (node.fn ? ' ' + node.fn : '');
    commands[key] = (commands[key] || 0) + 1;
  }
}
const lines = iconv.decode(Buffer.concat(text), 'gb18030').split('\n');
if (lines.length && lines[lines.length - 1] === '') lines.pop();
console.log(JSON.stringify({ok: covered === raw.length, covered, size: raw.length, lines, commands}));
