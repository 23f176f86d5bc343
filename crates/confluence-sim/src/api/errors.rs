//! Error bodies in Confluence's two shapes (v2 `errors[]`, v1 `statusCode`).

use serde_json::json;

use crate::config::Flavor;
use crate::http::Resp;
use crate::server::State;

/// `{"errors":[{"status":404,"code":"NOT_FOUND","title":"…","detail":null}]}`
pub fn v2(status: u16, code: &str, title: &str) -> Resp {
    Resp::json(
        status,
        &json!({"errors": [{"status": status, "code": code, "title": title, "detail": null}]}),
    )
}

pub fn v2_bad_request(title: &str) -> Resp {
    v2(400, "INVALID_REQUEST_PARAMETER", title)
}

pub fn v2_not_found() -> Resp {
    v2(404, "NOT_FOUND", "Not Found")
}

pub fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        _ => "Error",
    }
}

/// `{"statusCode":404,"data":{…},"message":"…","reason":"Not Found"}`; Data
/// Center omits `data`.
pub fn v1(state: &State, status: u16, message: impl Into<String>) -> Resp {
    let message = message.into();
    let body = if state.run.flavor == Flavor::Cloud {
        json!({
            "statusCode": status,
            "data": {
                "authorized": false,
                "valid": true,
                "allowedInReadOnlyMode": true,
                "errors": [],
                "successful": false
            },
            "message": message,
            "reason": reason(status)
        })
    } else {
        json!({"statusCode": status, "message": message, "reason": reason(status)})
    };
    Resp::json(status, &body)
}

pub fn v1_content_not_found(state: &State, id: &str) -> Resp {
    v1(
        state,
        404,
        format!("No content found with id: ContentId{{id={id}}}"),
    )
}

pub fn v1_bad_request(state: &State, message: &str) -> Resp {
    v1(state, 400, message)
}
