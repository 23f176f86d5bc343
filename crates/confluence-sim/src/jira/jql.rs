//! The JQL the simulated Jira understands (see the module above).
use super::{Issue, IssueKey};

/// A parsed query: every clause must hold.
#[derive(Debug)]
pub struct Query(Vec<Clause>);

#[derive(Debug)]
struct Clause {
    field: Field,
    negated: bool,
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
enum Field {
    Key,
    Project,
    Status,
    Type,
}

impl Query {
    pub fn parse(jql: &str) -> Result<Query, String> {
        let lower = jql.to_ascii_lowercase();
        let body = match lower.find("order by") {
            Some(at) => &jql[..at],
            None => jql,
        };
        let mut clauses = Vec::new();
        for part in split_and(body) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            clauses.push(clause(part)?);
        }
        Ok(Query(clauses))
    }

    pub fn matches(&self, key: &IssueKey, issue: &Issue) -> bool {
        self.0.iter().all(|c| {
            let value = match c.field {
                Field::Key => key.to_string(),
                Field::Project => key.project.clone(),
                Field::Status => issue.status.clone(),
                Field::Type => issue.issue_type.clone(),
            };
            let hit = c.values.iter().any(|v| v.eq_ignore_ascii_case(&value));
            hit != c.negated
        })
    }
}

/// Splits on ` AND ` outside quotes and parentheses.
fn split_and(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    let b = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        let c = b[i] as char;
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, _)
                if depth == 0 && s[i..].len() >= 5 && s[i..i + 5].eq_ignore_ascii_case(" and ") =>
            {
                out.push(&s[start..i]);
                start = i + 5;
                i += 5;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&s[start..]);
    out
}

fn clause(s: &str) -> Result<Clause, String> {
    let name_end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .ok_or_else(|| format!("Error in the JQL Query: Expecting an operator after '{s}'."))?;
    let field = match s[..name_end].to_ascii_lowercase().as_str() {
        "key" | "issuekey" | "id" => Field::Key,
        "project" => Field::Project,
        "status" => Field::Status,
        "type" | "issuetype" => Field::Type,
        other => {
            return Err(format!(
                "Field '{other}' does not exist or you do not have permission to view it."
            ));
        }
    };
    let rest = s[name_end..].trim_start();
    let lower = rest.to_ascii_lowercase();
    let (negated, list, rest) = if let Some(r) = rest.strip_prefix("!=") {
        (true, false, r)
    } else if let Some(r) = rest.strip_prefix('=') {
        (false, false, r)
    } else if lower.starts_with("not in") {
        (true, true, &rest[6..])
    } else if lower.starts_with("in") {
        (false, true, &rest[2..])
    } else {
        return Err(format!(
            "Error in the JQL Query: unsupported operator in '{s}'."
        ));
    };
    let rest = rest.trim();
    let values = if list {
        let inner = rest
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .ok_or_else(|| format!("Error in the JQL Query: expecting a list in '{s}'."))?;
        inner.split(',').map(unquote).collect()
    } else {
        vec![unquote(rest)]
    };
    Ok(Clause {
        field,
        negated,
        values,
    })
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    v.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
        .unwrap_or(v)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(status: &str) -> Issue {
        Issue {
            id: 1,
            summary: String::new(),
            status: status.into(),
            issue_type: "Task".into(),
            priority: "Medium".into(),
            assignee: None,
        }
    }

    #[test]
    fn the_macros_jql_is_understood() {
        let k = IssueKey::parse("CME-42").unwrap();
        let q = Query::parse("project = CME AND status != Done ORDER BY priority DESC").unwrap();
        assert!(q.matches(&k, &issue("In Progress")));
        assert!(!q.matches(&k, &issue("Done")));
        let q = Query::parse("key in (CME-42, \"OPS-7\")").unwrap();
        assert!(q.matches(&k, &issue("Done")));
        assert!(!q.matches(&IssueKey::parse("CME-4").unwrap(), &issue("Done")));
        assert!(Query::parse("assignee = currentUser()").is_err());
        assert!(Query::parse("status ~ x").is_err());
    }
}
