//! The pasted text as lines: prompts taken off, each line tokenized once, and statements
//! found by their brackets in linear time (a paste of unclosed brackets is not quadratic).

use super::lex::{lex_line, Tok, Token};

/// One line of the paste, read once.
pub(super) struct Line<'a> {
    /// The line as pasted.
    pub text: &'a str,
    /// Blank or a comment only (with its prompt taken off).
    pub empty: bool,
    /// It had a notebook or console prompt.
    pub prompt: bool,
    /// Inside (or opening) a triple-quoted string: a docstring or printed text.
    pub quoted: bool,
    pub toks: Vec<Token>,
    /// What the tokenizer could not read.
    pub error: Option<String>,
    /// Brackets opened less brackets closed.
    delta: i64,
    /// Ends with a backslash.
    continues: bool,
}

pub(super) struct Lines<'a> {
    pub lines: Vec<Line<'a>>,
    /// depth[k]: the bracket depth before line k, from the start of the paste.
    depth: Vec<i64>,
    /// The least "end value" of lines k.. (see [`Lines::end_value`]), to see in one step that a
    /// statement is never closed.
    suffix_min: Vec<i64>,
}

/// How a statement starting at a line ends.
pub(super) enum End {
    /// It ends at this line (inclusive).
    At(usize),
    /// At this line there is what the tokenizer could not read (or a closing bracket too many).
    Problem(usize, String),
    /// Its brackets are never closed.
    Unclosed,
}

impl<'a> Lines<'a> {
    pub fn read(text: &'a str) -> Self {
        let mut lines: Vec<Line<'a>> = Vec::new();
        let mut in_quote: Option<&str> = None;
        for (i, text) in text.lines().enumerate() {
            let (code, prompt) = strip_prompt(text);
            let mut line = Line {
                text,
                empty: false,
                prompt,
                quoted: false,
                toks: vec![],
                error: None,
                delta: 0,
                continues: false,
            };
            if let Some(q) = in_quote {
                line.quoted = true;
                if code.contains(q) {
                    in_quote = None;
                }
            } else if let Some(q) = ["\"\"\"", "'''"].into_iter().find(|q| code.matches(q).count() % 2 == 1) {
                line.quoted = true;
                in_quote = Some(q);
            } else if code.trim().is_empty() || code.trim_start().starts_with('#') {
                line.empty = true;
            } else {
                match lex_line(code, i + 1, 0, &mut line.toks) {
                    Ok(l) => (line.delta, line.continues) = (l.depth, l.continues),
                    Err(e) => line.error = Some(e),
                }
            }
            lines.push(line);
        }
        let mut depth = vec![0i64; lines.len() + 1];
        for (k, l) in lines.iter().enumerate() {
            depth[k + 1] = depth[k].saturating_add(l.delta);
        }
        let mut me = Lines { lines, depth, suffix_min: vec![] };
        let mut suffix_min = vec![i64::MAX; me.lines.len() + 1];
        for k in (0..me.lines.len()).rev() {
            suffix_min[k] = suffix_min[k + 1].min(me.end_value(k));
        }
        me.suffix_min = suffix_min;
        me
    }

    /// A statement that started at depth d ends at line k when this is ≤ d: the depth after
    /// the line, unless it continues (never ends there) or cannot be read (always stops there).
    fn end_value(&self, k: usize) -> i64 {
        let l = &self.lines[k];
        if l.error.is_some() || l.quoted {
            i64::MIN
        } else if l.continues {
            i64::MAX
        } else {
            self.depth[k + 1]
        }
    }

    /// Where the statement starting at line `i` ends.
    pub fn end(&self, i: usize) -> End {
        let start = self.depth[i];
        if self.suffix_min[i] > start {
            return End::Unclosed;
        }
        let mut k = i;
        while self.end_value(k) > start {
            k += 1;
        }
        let l = &self.lines[k];
        match &l.error {
            Some(e) => End::Problem(k, e.clone()),
            None if l.quoted => End::Problem(k, "a triple-quoted string starts inside the statement".into()),
            None if self.depth[k + 1] < start => End::Problem(k, "a closing bracket has no opening one".into()),
            None => End::At(k),
        }
    }

    /// The tokens of lines i..=k.
    pub fn tokens(&self, i: usize, k: usize) -> Vec<Token> {
        self.lines[i..=k].iter().flat_map(|l| l.toks.iter().cloned()).collect()
    }
}

/// Whether a line's tokens can start a statement of the subset: an assignment, a return,
/// `model.add/compile/fit/build(`, or a `Sequential(` call.
pub(super) fn starts_statement(toks: &[Token]) -> bool {
    let tok = |k: usize| toks.get(k).map(|t| &t.tok);
    match (tok(0), tok(1), tok(2), tok(3)) {
        (Some(Tok::Name(_)), Some(Tok::Op("=")), _, _) => true,
        (Some(Tok::Name(r)), _, _, _) if r == "return" => true,
        (Some(Tok::Name(_)), Some(Tok::Op(".")), Some(Tok::Name(m)), Some(Tok::Op("("))) => {
            ["add", "compile", "fit", "build"].contains(&m.as_str())
        }
        _ => sequential_call(toks),
    }
}

/// Whether the tokens call `Sequential(`.
pub(super) fn sequential_call(toks: &[Token]) -> bool {
    toks.windows(2).any(|w| w[0].tok == Tok::Name("Sequential".into()) && w[1].tok == Tok::Op("("))
}

/// A line with any notebook or console prompt taken off (`In [3]:`, `>>>`, `...`, `...:`),
/// and whether there was one. `Out[3]:` lines come back empty.
pub(super) fn strip_prompt(line: &str) -> (&str, bool) {
    let t = line.trim_start();
    for prefix in ["In [", "In[", "Out[", "Out ["] {
        if let Some(rest) = t.strip_prefix(prefix) {
            if let Some(close) = rest.find("]:") {
                if rest[..close].trim().chars().all(|c| c.is_ascii_digit()) {
                    return if prefix.starts_with("Out") { ("", true) } else { (&rest[close + 2..], true) };
                }
            }
        }
    }
    for prefix in [">>> ", "... ", ">>>", "..."] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let rest = rest.strip_prefix(':').unwrap_or(rest);
            return (rest, true);
        }
    }
    (line, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_come_off() {
        assert_eq!(strip_prompt("In [3]: model = 1"), (" model = 1", true));
        assert_eq!(strip_prompt("In [ ]:"), ("", true));
        assert_eq!(strip_prompt("Out[4]: <keras.src.models.Sequential>"), ("", true));
        assert_eq!(strip_prompt(">>> x = 1"), ("x = 1", true));
        assert_eq!(strip_prompt("   ...:     layers.Dense(10),"), ("     layers.Dense(10),", true));
        assert_eq!(strip_prompt("model.add(x)"), ("model.add(x)", false));
    }

    #[test]
    fn statements_end_where_their_brackets_close() {
        let l = Lines::read("a = [\n  1,\n  2]\nb = (\nc = 1 + \\\n  2\nd = )\ne = 'x\n");
        assert!(matches!(l.end(0), End::At(2)));
        assert!(matches!(l.end(3), End::At(6)));
        assert!(matches!(Lines::read("x = (\ny = 1\n").end(0), End::Unclosed));
        assert!(matches!(l.end(4), End::At(5)));
        assert!(matches!(l.end(6), End::Problem(6, ref m) if m == "a closing bracket has no opening one"));
        assert!(matches!(l.end(7), End::Problem(7, ref m) if m == "a string is not closed on its line"));
    }
}
