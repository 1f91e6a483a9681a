import type { Db } from '../db/index.ts';

export type Organisation = { id: string; name: string };

export async function insertOrganisation(db: Db, name: string): Promise<Organisation> {
  const [row] = await db('organisations').insert({ name }).returning(['id', 'name']);
  return row as Organisation;
}

export async function findOrganisationById(db: Db, id: string): Promise<Organisation | undefined> {
  return db('organisations').select('id', 'name').where({ id }).first();
}

export async function findOrganisationByName(db: Db, name: string): Promise<Organisation | undefined> {
  return db('organisations').select('id', 'name').whereRaw('lower(name) = lower(?)', [name]).first();
}

export async function listOrganisations(db: Db): Promise<Organisation[]> {
  return db('organisations').select('id', 'name').orderBy('name');
}

export async function countOrganisations(db: Db): Promise<number> {
  const [row] = await db('organisations').count<{ n: string | number }[]>('* as n');
  return Number(row?.n ?? 0);
}
