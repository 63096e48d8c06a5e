//! One small builder for SQL assembled at run time: text and its bound values side by side,
//! placeholders numbered by the builder (`$1`, `$2`, … — both engines take them through the
//! `Any` driver, which is why sqlx's own `QueryBuilder`, writing `?` for `Any`, won't do).
use sqlx::any::{Any, AnyArguments, AnyRow};
use sqlx::query::{Query, QueryAs, QueryScalar};

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Null,
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// SQL text with its values; `bind` writes the next placeholder where it is called.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql { text: text.into(), values: Vec::new() }
    }

    /// Appends text (never a value: values go through [`Sql::bind`]).
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends the next placeholder and remembers its value.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Sql {
        self.values.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.values.len().to_string());
        self
    }

    /// Remembers a value and returns its placeholder, for text that uses it more than once.
    pub fn param(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// Appends `$a, $b, …` for each value. An empty list writes `NULL`, so `x IN (NULL)`
    /// matches nothing instead of being a syntax error.
    pub fn in_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Sql {
        let mut first = true;
        for v in values {
            if !first {
                self.text.push_str(", ");
            }
            first = false;
            self.bind(v);
        }
        if first {
            self.text.push_str("NULL");
        }
        self
    }

    /// `(v1, v2, …)` for one row of a multi-row `VALUES` list.
    pub fn row<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Sql {
        self.text.push('(');
        self.in_list(values);
        self.text.push(')');
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn bind_all<'q, Q>(&self, mut q: Q, bind: impl Fn(Q, Value) -> Q) -> Q {
        for v in &self.values {
            q = bind(q, v.clone());
        }
        q
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        self.bind_all(sqlx::query(&self.text), |q, v| match v {
            Value::Text(t) => q.bind(t),
            Value::Int(i) => q.bind(i),
            Value::Null => q.bind(None::<String>),
        })
    }

    pub fn query_as<T>(&self) -> QueryAs<'_, Any, T, AnyArguments<'_>>
    where
        T: for<'r> sqlx::FromRow<'r, AnyRow>,
    {
        self.bind_all(sqlx::query_as(&self.text), |q, v| match v {
            Value::Text(t) => q.bind(t),
            Value::Int(i) => q.bind(i),
            Value::Null => q.bind(None::<String>),
        })
    }

    pub fn query_scalar<T>(&self) -> QueryScalar<'_, Any, T, AnyArguments<'_>>
    where
        (T,): for<'r> sqlx::FromRow<'r, AnyRow>,
    {
        self.bind_all(sqlx::query_scalar(&self.text), |q, v| match v {
            Value::Text(t) => q.bind(t),
            Value::Int(i) => q.bind(i),
            Value::Null => q.bind(None::<String>),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_placeholders_in_order() {
        let mut sql = Sql::new("SELECT 1 FROM t WHERE a = ");
        sql.bind("x").push(" AND b IN (").in_list([1i64, 2, 3]).push(") AND c = ").bind(None::<String>);
        assert_eq!(sql.text(), "SELECT 1 FROM t WHERE a = $1 AND b IN ($2, $3, $4) AND c = $5");
        assert_eq!(sql.len(), 5);
    }

    #[test]
    fn empty_in_list_matches_nothing() {
        let mut sql = Sql::new("x IN (");
        sql.in_list(Vec::<String>::new()).push(")");
        assert_eq!(sql.text(), "x IN (NULL)");
        let mut rows = Sql::new("VALUES ");
        rows.row(["a", "b"]).push(", ").row(["c", "d"]);
        assert_eq!(rows.text(), "VALUES ($1, $2), ($3, $4)");
    }
}
