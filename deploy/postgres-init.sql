-- One database per service (services never read each other's database).
CREATE DATABASE registration;
CREATE DATABASE booths;
CREATE DATABASE markets;
CREATE DATABASE billing;
CREATE DATABASE subscriptions;
CREATE DATABASE notifications;
CREATE DATABASE portal;
