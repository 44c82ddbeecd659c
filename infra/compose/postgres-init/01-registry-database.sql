-- The schema registry keeps its schemas in its own database beside agentbus's.
create database registry;
