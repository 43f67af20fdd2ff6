//! Writing a recipe into the user's config file, keeping its comments,
//! order and layout (toml_edit edits the document; nothing is rewritten).

use super::Recipe;

/// `text` (a config file, maybe empty) with `[recipes.NAME]` set to
/// `recipe`; everything else in it as it was.
pub fn with_recipe(text: &str, name: &str, recipe: &Recipe) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| format!("the config file cannot be edited: {e}"))?;
    let recipes = doc
        .entry("recipes")
        .or_insert_with(toml_edit::table)
        .as_table_mut()
        .ok_or("`recipes` in the config file is not a table")?;
    recipes.set_implicit(true);
    let mut t = toml_edit::Table::new();
    let list = |v: &[String]| {
        let mut a = toml_edit::Array::new();
        for s in v {
            a.push(s.as_str());
        }
        toml_edit::value(a)
    };
    let text_fields = [
        ("ami", &recipe.ami),
        ("template", &recipe.template),
        ("spot", &recipe.spot),
        ("key", &recipe.key),
        ("idle", &recipe.idle),
        ("deadline", &recipe.deadline),
        ("then", &recipe.then),
    ];
    if !recipe.types.is_empty() {
        t["types"] = list(&recipe.types);
    }
    for (key, value) in text_fields {
        if let Some(v) = value {
            t[key] = toml_edit::value(v.as_str());
        }
    }
    for (key, value) in [("count", recipe.count), ("disk_gb", recipe.disk_gb)] {
        if let Some(v) = value {
            t[key] = toml_edit::value(i64::from(v));
        }
    }
    for (key, value) in [
        ("subnets", &recipe.subnets),
        ("security_groups", &recipe.security_groups),
        ("tunnels", &recipe.tunnels),
        ("post_start_commands", &recipe.post_start_commands),
    ] {
        if !value.is_empty() {
            t[key] = list(value);
        }
    }
    recipes.insert(name, toml_edit::Item::Table(t));
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipe_is_added_keeping_comments_and_order() {
        let before = "# my settings\n[general]\n# faster\nrefresh_interval_secs = 30 # seconds\n\n[aws]\nregions = [\"eu-west-1\"]\n";
        let recipe = Recipe {
            types: vec!["g5.xlarge".into()],
            ami: Some("dlami-gpu".into()),
            idle: Some("1h".into()),
            count: Some(2),
            ..Recipe::default()
        };
        let after = with_recipe(before, "gpu", &recipe).expect("edited");
        assert!(after.starts_with(before), "{after}");
        assert!(after.contains("[recipes.gpu]"), "{after}");
        let parsed = crate::config::Config::from_user_text(std::path::Path::new("c.toml"), &after)
            .expect("still a valid config");
        assert_eq!(parsed.recipes.get("gpu"), Some(&recipe));
        assert_eq!(parsed.general.refresh_interval_secs, 30);
        // Saved again: replaced, not doubled.
        let again = with_recipe(&after, "gpu", &Recipe::default()).expect("edited");
        assert_eq!(again.matches("[recipes.gpu]").count(), 1, "{again}");
        assert!(with_recipe("recipes = 3\n", "x", &recipe).is_err());
        assert!(with_recipe("[broken\n", "x", &recipe).is_err());
    }

    #[test]
    fn a_recipe_with_an_unknown_field_is_an_error_that_names_it() {
        let err = crate::config::Config::from_user_text(
            std::path::Path::new("c.toml"),
            "[recipes.gpu]\ntypes = [\"g5.xlarge\"]\ngpus = 4\n",
        )
        .expect_err("unknown field");
        let text = err.to_string();
        assert!(text.contains("gpus"), "{text}");
        assert!(text.contains("c.toml"), "{text}");
    }
}
