-- The application tables the two example tasks work on. Plain SQL that
-- PostgreSQL and SQLite both accept.
create table accounts (
  id integer primary key,
  plan text not null,
  trial_ends_at timestamptz
);
create table plan_counts (
  day text not null,
  plan text not null,
  accounts integer not null,
  primary key (day, plan)
);
create table sessions (
  id integer primary key,
  expires_at timestamptz not null
);
create table session_purges (
  hour text primary key,
  deleted integer not null
);
