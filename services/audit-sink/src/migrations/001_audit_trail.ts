import type { Knex } from 'knex';

/**
 * The audit trail: one append-only table of every record, the head of each partition's hash
 * chain (which is also where the sink's offsets live), the writer role, and the views analysts read.
 */
export const up = async (knex: Knex, names: { schema: string; readSchema: string; writerRole: string; analystRole: string }): Promise<void> => {
  const { schema, readSchema, writerRole, analystRole } = names;
  await knex.schema.withSchema(schema).createTable('records', (t) => {
    t.text('topic').notNullable();
    t.integer('partition').notNullable();
    t.bigInteger('kafka_offset').notNullable();
    t.bigInteger('position').notNullable();
    t.timestamp('kafka_timestamp', { useTz: true });
    t.binary('record_key');
    t.binary('raw');
    t.jsonb('headers').notNullable();
    t.text('event_id');
    t.text('type');
    t.text('routing_key');
    t.text('source');
    t.timestamp('occurred_at', { useTz: true });
    t.text('correlation_id');
    t.text('causation_id');
    t.integer('schema_id');
    t.text('schema_version');
    t.jsonb('payload');
    t.text('decode_error');
    t.binary('prev_hash').notNullable();
    t.binary('hash').notNullable();
    t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['topic', 'partition', 'position']);
    t.unique(['topic', 'partition', 'kafka_offset'], { indexName: 'records_offset_once' });
    t.index(['correlation_id', 'occurred_at'], 'records_correlation_time');
    t.index(['source', 'occurred_at'], 'records_source_time');
    t.index(['type', 'occurred_at'], 'records_type_time');
  });
  await knex.schema.withSchema(schema).createTable('chain_heads', (t) => {
    t.text('topic').notNullable();
    t.integer('partition').notNullable();
    t.bigInteger('next_offset').notNullable();
    t.bigInteger('rows').notNullable();
    t.binary('last_hash').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['topic', 'partition']);
  });

  // Grants alone cannot stop a role that was granted too much, or the owner's colleagues; the
  // triggers refuse UPDATE, DELETE and TRUNCATE to every role but the table's owner.
  await knex.raw(`
    create function ${schema}.refuse_change() returns trigger language plpgsql as $$
    begin
      if current_user <> (select pg_get_userbyid(c.relowner) from pg_class c where c.oid = tg_relid) then
        raise exception 'the audit trail is append-only: % on %.% is refused for role %', tg_op, tg_table_schema, tg_table_name, current_user
          using errcode = 'insufficient_privilege';
      end if;
      return case when tg_op = 'DELETE' then old else new end;
    end $$`);
  await knex.raw(`
    create function ${schema}.refuse_rewind() returns trigger language plpgsql as $$
    begin
      if new.rows < old.rows or new.next_offset < old.next_offset then
        raise exception 'a chain head only moves forward (% % rows %→%)', new.topic, new.partition, old.rows, new.rows
          using errcode = 'insufficient_privilege';
      end if;
      return new;
    end $$`);
  await knex.raw(`create trigger records_append_only before update or delete on ${schema}.records for each row execute function ${schema}.refuse_change()`);
  await knex.raw(`create trigger records_no_truncate before truncate on ${schema}.records for each statement execute function ${schema}.refuse_change()`);
  await knex.raw(`create trigger chain_heads_kept before delete on ${schema}.chain_heads for each row execute function ${schema}.refuse_change()`);
  await knex.raw(`create trigger chain_heads_no_truncate before truncate on ${schema}.chain_heads for each statement execute function ${schema}.refuse_change()`);
  await knex.raw(`create trigger chain_heads_forward before update on ${schema}.chain_heads for each row execute function ${schema}.refuse_rewind()`);

  for (const role of [writerRole, analystRole]) {
    await knex.raw(`do $$ begin if not exists (select from pg_roles where rolname = '${role}') then create role ${role} nologin; end if; end $$`);
  }
  await knex.raw(`revoke all on schema ${schema} from public`);
  await knex.raw(`revoke all on all tables in schema ${schema} from public`);
  await knex.raw(`grant usage on schema ${schema} to ${writerRole}`);
  await knex.raw(`grant select, insert on ${schema}.records to ${writerRole}`);
  await knex.raw(`grant select, insert, update on ${schema}.chain_heads to ${writerRole}`);

  await knex.raw(`create schema if not exists ${readSchema}`);
  await knex.raw(`
    create view ${readSchema}.records as
      select topic, partition, kafka_offset, position, kafka_timestamp, event_id, type, routing_key, source, occurred_at,
             correlation_id, causation_id, schema_id, schema_version, headers, payload, decode_error,
             record_key, raw, encode(prev_hash, 'hex') as prev_hash, encode(hash, 'hex') as hash, recorded_at
      from ${schema}.records`);
  await knex.raw(`
    create view ${readSchema}.decisions as
      select occurred_at, type, payload ->> 'actionId' as action_id, source,
             coalesce(payload ->> 'approvedBy', payload ->> 'vetoedBy', payload ->> 'proposedBy') as decided_by,
             payload ->> 'reason' as reason, payload ->> 'action' as action, payload ->> 'risk' as risk,
             correlation_id, causation_id, event_id, topic, partition, kafka_offset
      from ${schema}.records
      where type in ('action.proposed', 'action.approved', 'action.vetoed')`);
  await knex.raw(`
    create view ${readSchema}.chain_heads as
      select topic, partition, rows, next_offset, encode(last_hash, 'hex') as last_hash, updated_at from ${schema}.chain_heads`);
  await knex.raw(`revoke all on schema ${readSchema} from public`);
  await knex.raw(`grant usage on schema ${readSchema} to ${analystRole}`);
  await knex.raw(`grant select on all tables in schema ${readSchema} to ${analystRole}`);
};
