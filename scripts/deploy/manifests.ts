// Renders the kustomize overlays with a real kubectl and checks every object against the schemas
// of the Kubernetes API (kubernetes-models); operatorModel.ts checks them against the operators' own.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Namespace, ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { parseAllDocuments } from 'yaml';
import { findKubectl, missingToolMessage } from './tools';

export const repoRoot = resolve(__dirname, '..', '..');
export const overlays = ['dev', 'prod'] as const;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}

export const parseYamlDocuments = <T>(text: string): T[] =>
  parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as T | null;
    })
    .filter((value): value is T => value !== null);

/** `kubectl kustomize infra/k8s/overlays/<overlay>`, as YAML text. */
export const kustomize = (overlay: string): string => {
  const kubectl = findKubectl();
  if (!kubectl) throw new Error(missingToolMessage('kubectl (with kustomize v4 or newer)'));
  const result = spawnSync(kubectl, ['kustomize', join(repoRoot, 'infra', 'k8s', 'overlays', overlay)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${overlay} failed: ${result.stderr || result.error?.message}`);
  return result.stdout;
};

type Validating = new (data: never) => { validate(): void };
const kubernetesModels: Record<string, Validating> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

export const isStrimzi = (o: K8sObject): boolean => o.apiVersion.startsWith('kafka.strimzi.io/');

/** Problems found by the Kubernetes OpenAPI schemas (required fields, types, formats, enums). */
export const kubernetesSchemaProblems = (objects: readonly K8sObject[]): string[] =>
  objects
    .filter((o) => !isStrimzi(o))
    .flatMap((o) => {
      const Model = kubernetesModels[`${o.apiVersion}/${o.kind}`];
      if (!Model) return [`${o.apiVersion}/${o.kind} ${o.metadata.name}: no schema for this kind in the test`];
      try {
        new Model(o as never).validate();
        return [];
      } catch (error) {
        return [`${o.kind} ${o.metadata.name}: ${(error as Error).message}`];
      }
    });
