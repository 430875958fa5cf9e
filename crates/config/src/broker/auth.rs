//! Keys of Java's `AuthConfig` (5.3 authentication and authorization, "ACL 2.0").

use crate::table::config_table;

config_table! {
    /// Authentication and authorization (Java `AuthConfig`, 5.3+).
    pub struct AuthConfig {
        /// Require authenticated requests.
        authentication_enabled: bool = false => "authenticationEnabled",
        /// Check permissions of authenticated users.
        authorization_enabled: bool = false => "authorizationEnabled",
        /// Authentication provider class (only Java's default is known; kept for round trips).
        authentication_provider: Option<String> = None => "authenticationProvider",
        /// Where users live; unset, Java refuses every authentication. Any value selects the
        /// broker's own store (`LocalAuthenticationMetadataProvider` in Java).
        authentication_metadata_provider: Option<String> = None => "authenticationMetadataProvider",
        /// Stateless (every request) or Stateful (Java caches per connection); FerroMQ always
        /// checks every request.
        authentication_strategy: Option<String> = None => "authenticationStrategy",
        /// Authorization provider class (kept for round trips).
        authorization_provider: Option<String> = None => "authorizationProvider",
        /// Where ACLs live; unset, Java refuses every authorization.
        authorization_metadata_provider: Option<String> = None => "authorizationMetadataProvider",
        /// Stateless or Stateful; FerroMQ always checks every request.
        authorization_strategy: Option<String> = None => "authorizationStrategy",
        /// Request codes exempt from authentication, `,`-separated.
        authentication_whitelist: Option<String> = None => "authenticationWhitelist",
        /// Request codes exempt from authorization, `,`-separated.
        authorization_whitelist: Option<String> = None => "authorizationWhitelist",
        /// JSON of the super user created at first start, e.g. `{"username":…,"password":…}`.
        init_authentication_user: Option<String> = None => "initAuthenticationUser",
        /// JSON credentials the broker uses for its own requests to other brokers.
        inner_client_authentication_credentials: Option<String> = None => "innerClientAuthenticationCredentials",
        /// Import plain ACL 1.0 users and rules at start.
        migrate_auth_from_v1_enabled: bool = false => "migrateAuthFromV1Enabled",
        /// Users cached at most.
        user_cache_max_num: i32 = 1_000 => "userCacheMaxNum",
        /// A cached user expires after this long, s.
        user_cache_expired_second: i32 = 600 => "userCacheExpiredSecond",
        /// A cached user is refreshed after this long, s.
        user_cache_refresh_second: i32 = 60 => "userCacheRefreshSecond",
        /// ACL entries cached at most.
        acl_cache_max_num: i32 = 1_000 => "aclCacheMaxNum",
        /// A cached ACL expires after this long, s.
        acl_cache_expired_second: i32 = 600 => "aclCacheExpiredSecond",
        /// A cached ACL is refreshed after this long, s.
        acl_cache_refresh_second: i32 = 60 => "aclCacheRefreshSecond",
    }
}
