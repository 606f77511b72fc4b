//! The dashboard's users list as it is seen: search, filters and sort. It
//! lives in the address, so a filtered list can be bookmarked, reloaded,
//! shared, and exported to CSV exactly as shown.

use serde::{Deserialize, Serialize};

use super::{Invalid, Presence, RoleId, Showing, SortOrder, UserSort, parse_tags};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFilter {
    /// A prefix of the UID or the name; empty for all users.
    pub search: String,
    pub role: Option<RoleId>,
    pub tag: Option<String>,
    pub status: Option<Presence>,
    pub show: Showing,
    /// `None` reads by the text that matched a search, else by UID.
    pub sort: Option<UserSort>,
    pub order: SortOrder,
}

impl Default for UserFilter {
    fn default() -> Self {
        Self {
            search: String::new(),
            role: None,
            tag: None,
            status: None,
            show: Showing::Active,
            sort: None,
            order: SortOrder::Asc,
        }
    }
}

impl UserFilter {
    /// Reads the filter from query parameters; a parameter that is absent or
    /// empty (an "any" choice in a form) keeps its default.
    pub fn from_params(param: impl Fn(&str) -> Option<String>) -> Result<Self, Invalid> {
        let given = |key: &str| param(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Ok(Self {
            search: super::storable(given("q").unwrap_or_default(), "A search")?,
            role: given("role").as_deref().map(RoleId::parse).transpose()?,
            tag: given("tag").map(|tag| parse_tags(&[tag])).transpose()?.and_then(|mut tags| tags.pop()),
            status: given("status").as_deref().map(Presence::parse).transpose()?,
            show: given("show").as_deref().map(Showing::parse).transpose()?.unwrap_or(Showing::Active),
            sort: given("sort").as_deref().map(UserSort::parse).transpose()?,
            order: given("order").as_deref().map(SortOrder::parse).transpose()?.unwrap_or(SortOrder::Asc),
        })
    }

    /// The query string that `from_params` reads back, holding only what
    /// differs from the defaults.
    pub fn to_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.search.is_empty() {
            query.append_pair("q", &self.search);
        }
        if let Some(role) = &self.role {
            query.append_pair("role", role.as_str());
        }
        if let Some(tag) = &self.tag {
            query.append_pair("tag", tag);
        }
        if let Some(status) = self.status {
            query.append_pair("status", status.as_str());
        }
        if self.show != Showing::Active {
            query.append_pair("show", self.show.as_str());
        }
        if let Some(sort) = self.sort {
            query.append_pair("sort", sort.as_str());
        }
        if self.order != SortOrder::Asc {
            query.append_pair("order", self.order.as_str());
        }
        query.finish()
    }

    /// The same list sorted on `column`: ascending at first, and the other
    /// way round when it is already sorted on it.
    pub fn sorted_on(&self, column: UserSort) -> Self {
        let order = match (self.sort == Some(column), self.order) {
            (true, SortOrder::Asc) => SortOrder::Desc,
            _ => SortOrder::Asc,
        };
        Self { sort: Some(column), order, ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(query: &str) -> Result<UserFilter, Invalid> {
        let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        UserFilter::from_params(|key| params.get(key).cloned())
    }

    #[test]
    fn a_filter_survives_the_round_trip_through_the_address() {
        let filter = UserFilter {
            search: "Ann Lee".into(),
            role: Some(RoleId::parse("premium").unwrap()),
            tag: Some("beta testers".into()),
            status: Some(Presence::Available),
            show: Showing::All,
            sort: Some(UserSort::LastActiveAt),
            order: SortOrder::Desc,
        };
        assert_eq!(parse(&filter.to_query()).unwrap(), filter);
    }

    #[test]
    fn the_default_filter_is_an_empty_query_and_empty_choices_mean_any() {
        assert_eq!(UserFilter::default().to_query(), "");
        assert_eq!(parse("q=&role=&tag=&status=&show=&sort=&order=").unwrap(), UserFilter::default());
    }

    #[test]
    fn a_filter_with_a_value_outside_its_choices_is_refused_with_its_code() {
        assert_eq!(parse("role=no+spaces").unwrap_err().code, "ERR_INVALID_ROLE");
        assert_eq!(parse("status=away").unwrap_err().code, "ERR_INVALID_STATUS");
        assert_eq!(parse("show=everyone").unwrap_err().code, "ERR_INVALID_SHOW");
        assert_eq!(parse("sort=email").unwrap_err().code, "ERR_INVALID_SORT");
    }

    #[test]
    fn sorting_on_the_sorted_column_again_turns_the_order_round() {
        let by_name = UserFilter::default().sorted_on(UserSort::Name);
        assert_eq!((by_name.sort, by_name.order), (Some(UserSort::Name), SortOrder::Asc));
        assert_eq!(by_name.sorted_on(UserSort::Name).order, SortOrder::Desc);
        assert_eq!(by_name.sorted_on(UserSort::Name).sorted_on(UserSort::Uid).order, SortOrder::Asc);
    }
}
