//! The service family without Postgres: business calendars and business time, and the
//! ticket summary behind `crm.service_agg`.

pub mod calendar;
pub mod hours;
pub mod tickets;
