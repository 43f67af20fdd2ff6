//! The views, in tab order: the one list a view is added to. Each module
//! is one view ([`View`]); a view without a tab of its own (a bucket being
//! browsed) is listed too, where its tab's view is.
//!
//! [`View`]: super::view::View

macro_rules! registry {
    ($($module:ident :: $view:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Every view, in tab order, as it starts.
        pub fn all() -> Vec<Box<dyn super::view::View>> {
            vec![$(Box::new($module::$view::default())),*]
        }
    };
}

registry! {
    instances::Instances,
    clusters::Clusters,
    buckets::Buckets,
    objects::Objects,
    costs::Costs,
    tunnels::Tunnels,
    transfers::Transfers,
    leftovers::Leftovers,
}
