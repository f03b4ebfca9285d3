//! Python expressions of the subset, read from tokens (never evaluated): names (dotted),
//! numbers, strings, True/False/None, tuples, lists, calls with positional and keyword
//! arguments, unary minus and + − * / between numbers (`1. / 255`, `28 * 28`).

use super::lex::{Tok, Token};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Expr {
    Num {
        value: f64,
        int: bool,
    },
    Str(String),
    Bool(bool),
    None,
    /// `a.b.c`
    Name(Vec<String>),
    Tuple(Vec<Node>),
    List(Vec<Node>),
    Call(Call),
    /// An arithmetic expression on numbers: `op` is one of + - * / //.
    Binary(&'static str, Box<Node>, Box<Node>),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Node {
    pub expr: Expr,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Call {
    /// The dotted name called: `["layers", "Conv2D"]`.
    pub callee: Vec<String>,
    pub args: Vec<Node>,
    pub kwargs: Vec<(String, Node)>,
}

impl Call {
    /// The class or function name: the last part of the callee.
    pub fn name(&self) -> &str {
        self.callee.last().map(String::as_str).unwrap_or("")
    }
}

/// A parser over the tokens of one statement.
pub(super) struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    /// Values nested inside each other here (brackets, calls, signs).
    depth: usize,
    /// Arithmetic operators read in the statement.
    operators: usize,
}

/// The deepest nesting read: a model nests 4 (a list, a call, a tuple); deeper is refused
/// before the recursion could exhaust the stack.
const MAX_DEPTH: usize = 50;
/// The most arithmetic operators in one statement (each adds a level to the value's tree).
const MAX_OPERATORS: usize = 200;

type Res<T> = Result<T, (usize, String)>;
/// Positional and keyword arguments of a call.
type Arguments = (Vec<Node>, Vec<(String, Node)>);

impl<'a> Parser<'a> {
    pub fn new(toks: &'a [Token]) -> Self {
        Parser { toks, pos: 0, depth: 0, operators: 0 }
    }

    pub fn line(&self) -> usize {
        self.toks.get(self.pos).or(self.toks.last()).map(|t| t.line).unwrap_or(1)
    }

    pub fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    pub fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.pos + k).map(|t| &t.tok)
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    pub fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn skip(&mut self, n: usize) {
        self.pos += n;
    }

    fn fail<T>(&self, what: String) -> Res<T> {
        Err((self.line(), what))
    }

    fn expect(&mut self, op: &str) -> Res<()> {
        if self.eat(op) {
            Ok(())
        } else {
            let got = self.describe_next();
            self.fail(format!("expected \"{op}\" but found {got}"))
        }
    }

    fn describe_next(&self) -> String {
        match self.peek() {
            None => "the end of the statement".into(),
            Some(Tok::Name(n)) => format!("\"{n}\""),
            Some(Tok::Num { value, .. }) => format!("the number {value}"),
            Some(Tok::Str(s)) => format!("the string {s:?}"),
            Some(Tok::Op(o)) => format!("\"{o}\""),
        }
    }

    /// The whole statement is one expression (and perhaps a `;`).
    pub fn finish(&mut self) -> Res<()> {
        self.eat(";");
        if self.at_end() {
            Ok(())
        } else {
            let got = self.describe_next();
            self.fail(format!("unexpected {got} after the call; put one statement on a line"))
        }
    }

    pub fn expr(&mut self) -> Res<Node> {
        self.nest()?;
        let node = self.sum();
        self.depth -= 1;
        node
    }

    fn nest(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(format!("values nested more than {MAX_DEPTH} deep are not read"));
        }
        Ok(())
    }

    fn binary(&mut self, op: &'static str, left: Node, right: Node) -> Res<Node> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return self.fail(format!("more than {MAX_OPERATORS} arithmetic operators in one statement are not read"));
        }
        Ok(Node { line: left.line, expr: Expr::Binary(op, Box::new(left), Box::new(right)) })
    }

    fn sum(&mut self) -> Res<Node> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("+")) => "+",
                Some(Tok::Op("-")) => "-",
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.product()?;
            left = self.binary(op, left, right)?;
        }
    }

    fn product(&mut self) -> Res<Node> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("*")) => "*",
                Some(Tok::Op("/")) => "/",
                Some(Tok::Op("//")) => "//",
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.unary()?;
            left = self.binary(op, left, right)?;
        }
    }

    fn unary(&mut self) -> Res<Node> {
        let line = self.line();
        if self.eat("-") {
            self.nest()?;
            let inner = self.unary();
            self.depth -= 1;
            let zero = Node { line, expr: Expr::Num { value: 0.0, int: true } };
            return self.binary("-", zero, inner?);
        }
        if self.eat("+") {
            self.nest()?;
            let inner = self.unary();
            self.depth -= 1;
            return inner;
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Res<Node> {
        let mut node = self.atom()?;
        loop {
            if self.eat(".") {
                let Some(Tok::Name(n)) = self.peek().cloned() else {
                    let got = self.describe_next();
                    return self.fail(format!("expected a name after \".\" but found {got}"));
                };
                self.pos += 1;
                match &mut node.expr {
                    Expr::Name(parts) => parts.push(n),
                    _ => {
                        return self.fail(format!("\".{n}\" on a value is not part of the Keras subset ConvPlay reads"))
                    }
                }
            } else if matches!(self.peek(), Some(Tok::Op("("))) {
                let Expr::Name(callee) = &node.expr else {
                    return self.fail(
                        "calling the result of a call (the functional API, layer(...)(x)) is not read; \
                         write the model as keras.Sequential([...])"
                            .into(),
                    );
                };
                let callee = callee.clone();
                self.pos += 1;
                let (args, kwargs) = self.arguments()?;
                node = Node { line: node.line, expr: Expr::Call(Call { callee, args, kwargs }) };
            } else if matches!(self.peek(), Some(Tok::Op("["))) {
                return self.fail(
                    "indexing with [...] is not part of the Keras subset ConvPlay reads; write the value itself, \
                     e.g. input_shape=(28, 28, 1)"
                        .into(),
                );
            } else {
                return Ok(node);
            }
        }
    }

    /// After "(": positional then keyword arguments, up to ")".
    fn arguments(&mut self) -> Res<Arguments> {
        let (mut args, mut kwargs) = (vec![], Vec::<(String, Node)>::new());
        loop {
            if self.eat(")") {
                return Ok((args, kwargs));
            }
            if matches!(self.peek(), Some(Tok::Op("*" | "**"))) {
                return self.fail("*args and **kwargs are not read; write each argument out".into());
            }
            if let (Some(Tok::Name(k)), Some(Tok::Op("="))) = (self.peek().cloned(), self.peek_at(1)) {
                self.pos += 2;
                let v = self.expr()?;
                if kwargs.iter().any(|(other, _)| *other == k) {
                    return Err((v.line, format!("the keyword argument {k}= is given twice")));
                }
                kwargs.push((k, v));
            } else {
                let v = self.expr()?;
                if !kwargs.is_empty() {
                    return Err((v.line, "a positional argument follows a keyword argument".into()));
                }
                args.push(v);
            }
            if !self.eat(",") {
                self.expect(")")?;
                return Ok((args, kwargs));
            }
        }
    }

    fn atom(&mut self) -> Res<Node> {
        let line = self.line();
        let Some(tok) = self.peek().cloned() else {
            return self.fail("the statement ends where a value was expected".into());
        };
        self.pos += 1;
        let expr = match tok {
            Tok::Num { value, int } => Expr::Num { value, int },
            Tok::Str(mut s) => {
                while let Some(Tok::Str(more)) = self.peek() {
                    s.push_str(more);
                    self.pos += 1;
                }
                Expr::Str(s)
            }
            Tok::Name(n) => match n.as_str() {
                "True" => Expr::Bool(true),
                "False" => Expr::Bool(false),
                "None" => Expr::None,
                "lambda" | "for" | "if" | "not" | "await" | "yield" => {
                    return Err((
                        line,
                        format!("\"{n}\" is Python that ConvPlay does not read (it is not an evaluator)"),
                    ))
                }
                _ => Expr::Name(vec![n]),
            },
            Tok::Op("(") => {
                let items = self.items(")")?;
                match items {
                    (mut v, false) if v.len() == 1 => return Ok(v.remove(0)),
                    (v, _) => Expr::Tuple(v),
                }
            }
            Tok::Op("[") => Expr::List(self.items("]")?.0),
            Tok::Op(o) => return Err((line, format!("\"{o}\" cannot start a value here"))),
        };
        Ok(Node { expr, line })
    }

    /// Comma-separated values up to `close`; also whether a comma was seen (`(3,)` is a tuple).
    fn items(&mut self, close: &str) -> Res<(Vec<Node>, bool)> {
        let (mut v, mut comma) = (vec![], false);
        loop {
            if self.eat(close) {
                return Ok((v, comma));
            }
            v.push(self.expr()?);
            if self.eat(",") {
                comma = true;
            } else {
                self.expect(close)?;
                return Ok((v, comma));
            }
        }
    }
}
