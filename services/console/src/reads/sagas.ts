import type { Knex } from 'knex';
import { pageOf } from './analyst';
import type { Page, SagaSummary } from '../views';


/** Newest first by saga id (ULIDs sort by time), filtered by status and a search over id, name and correlation. */
export const listSagas = async (trx: Knex.Transaction, options: { status?: string; search?: string; after?: string; limit: number }): Promise<Page<SagaSummary>> => {
  let query = trx
    .withSchema('read')
    .from('sagas')
    .select('saga_id', 'saga_name', 'status', 'current_step', 'failed_step', 'requested_at', 'finished_at', 'correlation_id')
    .orderBy('saga_id', 'desc')
    .limit(options.limit + 1);
  if (options.status) query = query.where('status', options.status);
  if (options.search) {
    const like = `%${options.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((q) => q.whereILike('saga_id', like).orWhereILike('saga_name', like).orWhere('correlation_id', options.search!));
  }
  if (options.after) query = query.where('saga_id', '<', options.after);
  return pageOf(await query, options.limit, (s) => s.saga_id);
};
