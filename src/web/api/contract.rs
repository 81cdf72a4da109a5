//! The parts of the OpenAPI document that follow from how every endpoint is served rather than
//! from one handler: the `{tenant}` path parameter (read by `TenantKey`), the error answers the
//! shared extractors give (authentication, the key's budget, strict bodies, queries and paths),
//! query parameters as optional plain values, and the links that chain create → read → change →
//! delete for testers and client generators.
//!
//! Applied once to the generated document (`super::router`), so no handler can forget them.

use serde_json::{json, Map, Value};

/// Why each error status can happen, by what the operation takes.
const AUTH: [(&str, &str); 3] = [
    ("401", "`unauthorized`: no valid API key"),
    (
        "403",
        "`insufficient_scope` or `all_tenants_key_required`: this key may not do this",
    ),
    (
        "429",
        "`too_many_requests`: this key's requests for the minute are spent (`Retry-After`), or too many failed authentications from this address",
    ),
];
const THROTTLED: (&str, &str) = (
    "429",
    "`too_many_requests`: too many attempts from this address, tenant or account",
);
const IN_PATH: (&str, &str) = (
    "404",
    "`not_found`: no such tenant for this key (or no such item in it)",
);
const BAD_PATH: (&str, &str) = (
    "400",
    "`invalid_path`: a path segment of the wrong type, or not UTF-8 once decoded",
);
const QUERY: [(&str, &str); 2] = [
    (
        "400",
        "`invalid_query`: a malformed query string, an unknown parameter or a wrong type",
    ),
    (
        "422",
        "`validation_failed`: a parameter's value is out of range",
    ),
];
const BODY: [(&str, &str); 4] = [
    (
        "400",
        "`invalid_json`: malformed JSON, not an object, an unknown or repeated field, a wrong type",
    ),
    (
        "413",
        "`invalid_json`: the body is larger than `max_body_bytes`",
    ),
    (
        "415",
        "`invalid_json`: the body is not sent as `Content-Type: application/json`",
    ),
    (
        "422",
        "`validation_failed`: a value breaks a rule (the message says which)",
    ),
];

/// What any operation may answer.
const ALWAYS: [(&str, &str); 2] = [
    (
        "500",
        "`internal`: something went wrong on the server's side (it is logged)",
    ),
    (
        "503",
        "`unavailable`: a directory (LDAP) the operation needs can't be reached",
    ),
];

/// The `{tenant}` of `/api/v1/tenants/{tenant}/…`: first among an operation's parameters.
fn tenant_parameter() -> Value {
    json!({
        "name": "tenant",
        "in": "path",
        "description": "tenant slug",
        "required": true,
        "schema": {"type": "string"}
    })
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

/// Completes the generated document: see the module's description.
pub fn complete(mut doc: Value) -> Value {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return doc;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (_, op) in item.iter_mut() {
            if let Some(op) = op.as_object_mut() {
                complete_operation(path, op);
            }
        }
    }
    add_links(&mut doc);
    add_rules(&mut doc);
    doc
}

/// Rules between a body's fields, kept next to the body's type, added to its schema.
fn add_rules(doc: &mut Value) {
    let rules = [("ResetRequest", super::resets::reset_request_rules())];
    for (name, rule) in rules {
        if let (Some(schema), Value::Object(rule)) = (
            doc.pointer_mut(&format!("/components/schemas/{name}"))
                .and_then(Value::as_object_mut),
            rule,
        ) {
            schema.extend(rule);
        }
    }
}

fn complete_operation(path: &str, op: &mut Map<String, Value>) {
    let public = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(Map::is_empty)));
    let mut add: Vec<(&str, &str)> = ALWAYS.to_vec();
    if public {
        add.push(THROTTLED);
    } else {
        add.extend(AUTH);
    }
    let mut params = op
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
        .map(std::mem::take)
        .unwrap_or_default();
    if path.contains("{tenant}") && !params.iter().any(|p| p["name"] == "tenant") {
        params.insert(0, tenant_parameter());
    }
    let mut kept = Vec::new();
    for mut p in params {
        match p.get("in").and_then(Value::as_str) {
            Some("query") => {
                // A query parameter is optional and never `null` (a query string has no null).
                p["required"] = false.into();
                if let Some(ty) = p.pointer_mut("/schema/type") {
                    if let Some(types) = ty.as_array() {
                        let plain: Vec<Value> =
                            types.iter().filter(|t| *t != "null").cloned().collect();
                        *ty = if plain.len() == 1 {
                            plain[0].clone()
                        } else {
                            plain.into()
                        };
                    }
                }
                add.extend(QUERY);
            }
            Some("path") => {
                add.push(IN_PATH);
                add.push(BAD_PATH);
            }
            _ => {}
        }
        kept.push(p);
    }
    if !kept.is_empty() {
        op.insert("parameters".into(), kept.into());
    } else if path.contains('{') {
        add.push(IN_PATH);
    }
    if let Some(body) = op.get_mut("requestBody") {
        add.extend(BODY);
        // An optional body is an object or nothing at all: never a JSON `null`.
        if body.get("required") != Some(&Value::Bool(true)) {
            if let Some(schema) = body.pointer_mut("/content/application~1json/schema") {
                if let Some(one) = schema
                    .get("oneOf")
                    .and_then(Value::as_array)
                    .and_then(|alts| alts.iter().find(|a| a.get("type") != Some(&json!("null"))))
                {
                    *schema = one.clone();
                }
            }
        }
    }
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("responses is an object");
    // Reasons for one status are said together ("…; or …"), in the order found.
    let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
    for (status, why) in add {
        match reasons.iter_mut().find(|(s, _)| *s == status) {
            Some((_, whys)) if !whys.contains(&why) => whys.push(why),
            Some(_) => {}
            None => reasons.push((status, vec![why])),
        }
    }
    for (status, whys) in reasons {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(&whys.join("; or ")));
    }
}

/// A link: its name, the operation it leads to, that operation's parameters and body.
type Link<'a> = (&'a str, &'a str, Value, Option<Value>);

/// The operations a successful answer leads to, with where their parameters come from.
fn add_links(doc: &mut Value) {
    let tenant = json!("$request.path.tenant");
    let user = json!({"tenant": tenant, "username": "$response.body#/username"});
    let first_tenant = json!({"tenant": "$response.body#/0/slug"});
    let links: [(&str, &str, &str, Vec<Link>); 6] = [
        (
            "/api/v1/tenants",
            "get",
            "200",
            vec![
                ("CreateUser", "create_user", first_tenant.clone(), None),
                ("ListUsers", "list_users", first_tenant, None),
            ],
        ),
        (
            "/api/v1/tenants/{tenant}/users",
            "post",
            "201",
            vec![
                ("GetUser", "get_user", user.clone(), None),
                ("ChangeUser", "update_user", user.clone(), None),
                ("DeleteUser", "delete_user", user.clone(), None),
                (
                    "ChangePassword",
                    "change_password",
                    json!({"tenant": tenant}),
                    Some(json!({
                        "username": "$response.body#/username",
                        "current_password": "not-the-password",
                        "new_password": "a new and long passphrase",
                        "confirm_password": "a new and long passphrase"
                    })),
                ),
                (
                    "SendReset",
                    "send_resets",
                    json!({"tenant": tenant}),
                    Some(json!({"users": ["$response.body#/username"], "kind": "link"})),
                ),
            ],
        ),
        (
            "/api/v1/tenants/{tenant}/users/{username}",
            "get",
            "200",
            vec![
                ("ChangeUser", "update_user", user.clone(), None),
                ("DeleteUser", "delete_user", user.clone(), None),
            ],
        ),
        (
            "/api/v1/tenants/{tenant}/users/{username}",
            "patch",
            "200",
            vec![
                ("GetUser", "get_user", user.clone(), None),
                ("DeleteUser", "delete_user", user, None),
            ],
        ),
        (
            "/api/v1/tenants/{tenant}/resets",
            "post",
            "201",
            vec![
                (
                    "GetCampaign",
                    "get_campaign",
                    json!({"tenant": tenant, "id": "$response.body#/id"}),
                    None,
                ),
                (
                    "CancelCampaign",
                    "campaign_action",
                    json!({"tenant": tenant, "id": "$response.body#/id", "action": "cancel"}),
                    None,
                ),
                (
                    "RedoTask",
                    "task_action",
                    json!({"tenant": tenant, "id": "$response.body#/recipients/0/task", "action": "redo"}),
                    None,
                ),
                (
                    "CancelTask",
                    "task_action",
                    json!({"tenant": tenant, "id": "$response.body#/recipients/0/task", "action": "cancel"}),
                    None,
                ),
            ],
        ),
        (
            "/api/v1/tenants",
            "post",
            "201",
            vec![
                (
                    "ListUsers",
                    "list_users",
                    json!({"tenant": "$response.body#/slug"}),
                    None,
                ),
                (
                    "CreateUser",
                    "create_user",
                    json!({"tenant": "$response.body#/slug"}),
                    None,
                ),
                (
                    "Settings",
                    "get_settings",
                    json!({"tenant": "$response.body#/slug"}),
                    None,
                ),
            ],
        ),
    ];
    for (path, method, status, targets) in links {
        let pointer = format!(
            "/paths/{}/{method}/responses/{status}",
            path.replace('~', "~0").replace('/', "~1")
        );
        let Some(response) = doc.pointer_mut(&pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        let out = response
            .entry("links")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("links is an object");
        for (name, operation_id, parameters, body) in targets {
            let mut link = json!({"operationId": operation_id, "parameters": parameters});
            if let Some(body) = body {
                link["requestBody"] = body;
            }
            out.insert(name.to_owned(), link);
        }
    }
}
