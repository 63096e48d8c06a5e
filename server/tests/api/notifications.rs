//! Notifications: recipients per target kind, Do Not Disturb for org targets only, the
//! inbox, and the monitoring hook.
