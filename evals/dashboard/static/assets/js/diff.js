/* Word-level differences between a reference and a hypothesis (longest common subsequence on tokens).
 *
 * Tokens: runs of letters/digits, single punctuation marks, and single Han
 * characters (so untranslated Chinese lines up character by character). Each
 * token keeps the whitespace before it, so the hypothesis is shown exactly as
 * written. The comparison is case-sensitive, like the metrics' default.
 */
"use strict";

(function () {
  const TOKEN = /(\s*)(\p{Script=Han}|[\p{L}\p{N}\p{M}]+(?:['’][\p{L}]+)*|[^\s])/gu;
  // Above this many DP cells a line-up is not worth the time; fall back to "is the token in the reference".
  const MAX_CELLS = 4_000_000;

  MT.tokenize = function (text) {
    const tokens = [];
    if (!text) return tokens;
    TOKEN.lastIndex = 0;
    let match;
    while ((match = TOKEN.exec(text)) !== null) tokens.push({ pre: match[1], text: match[2] });
    return tokens;
  };

  /**
   * Edit script from reference tokens `a` to hypothesis tokens `b`:
   * [{op: "eq"|"del"|"ins", token}] in reading order ("del": only in the reference).
   */
  MT.diffTokens = function (a, b) {
    let start = 0;
    while (start < a.length && start < b.length && a[start].text === b[start].text) start++;
    let endA = a.length, endB = b.length;
    while (endA > start && endB > start && a[endA - 1].text === b[endB - 1].text) { endA--; endB--; }
    const ops = [];
    for (let i = 0; i < start; i++) ops.push({ op: "eq", token: b[i] });
    const n = endA - start, m = endB - start;
    if (n * m > MAX_CELLS) {
      const inRef = new Set(a.slice(start, endA).map((t) => t.text));
      for (let j = start; j < endB; j++) ops.push({ op: inRef.has(b[j].text) ? "eq" : "ins", token: b[j] });
    } else if (n > 0 || m > 0) {
      // lcs[i][j]: LCS length of a[start+i..endA) and b[start+j..endB), filled backwards.
      const width = m + 1;
      const lcs = new Uint32Array((n + 1) * width);
      for (let i = n - 1; i >= 0; i--) {
        const ai = a[start + i].text;
        for (let j = m - 1; j >= 0; j--) {
          lcs[i * width + j] = ai === b[start + j].text
            ? lcs[(i + 1) * width + j + 1] + 1
            : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
        }
      }
      let i = 0, j = 0;
      while (i < n && j < m) {
        if (a[start + i].text === b[start + j].text) {
          ops.push({ op: "eq", token: b[start + j] }); i++; j++;
        } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
          ops.push({ op: "del", token: a[start + i] }); i++;
        } else {
          ops.push({ op: "ins", token: b[start + j] }); j++;
        }
      }
      for (; i < n; i++) ops.push({ op: "del", token: a[start + i] });
      for (; j < m; j++) ops.push({ op: "ins", token: b[start + j] });
    }
    for (let j = endB; j < b.length; j++) ops.push({ op: "eq", token: b[j] });
    return ops;
  };

  /**
   * The hypothesis as DOM nodes: matching words plain, words not in the reference
   * in <ins>, reference words the hypothesis lacks in <del> (optional). Text only.
   */
  MT.renderDiff = function (reference, hypothesis, showDeleted) {
    const frag = document.createDocumentFragment();
    const hypTokens = MT.tokenize(hypothesis);
    if (reference === null || reference === undefined) {
      frag.appendChild(document.createTextNode(hypothesis));
      return { node: frag, matched: null };
    }
    const ops = MT.diffTokens(MT.tokenize(reference), hypTokens);
    let matched = 0;
    let run = null; // consecutive tokens of one kind share one element
    let runOp = null;
    for (const { op, token } of ops) {
      if (op === "del" && !showDeleted) continue;
      if (op === "eq") matched++;
      const space = token.pre ? " " : "";
      if (op !== runOp) {
        // A space before a marked run goes outside it; between a deletion and an insertion
        // there is always one, so "President" + "United" do not read as one word.
        if (op !== "eq" && (space || (runOp !== null && runOp !== "eq"))) frag.appendChild(document.createTextNode(" "));
        run = op === "eq" ? document.createElement("span") : document.createElement(op);
        if (op === "ins") run.title = "not in the reference";
        if (op === "del") run.title = "in the reference, missing here";
        run.className = "d-" + op;
        frag.appendChild(run);
        runOp = op;
        run.appendChild(document.createTextNode(op === "eq" ? space + token.text : token.text));
      } else {
        run.appendChild(document.createTextNode(space + token.text));
      }
    }
    return { node: frag, matched, total: hypTokens.length };
  };
})();
