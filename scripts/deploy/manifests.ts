// Renders the kustomize overlays with a real kubectl and checks every object against the schemas
// of the Kubernetes API (kubernetes-models) and the model classes of the operators that read them
// (Strimzi's io.strimzi:api and fabric8's Kubernetes model, infra/k8s/validate).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

let operatorClasspath: string | undefined;
const validatorDir = join(repoRoot, 'infra', 'k8s', 'validate');

/** The jars of infra/k8s/validate/pom.xml, from Maven Central (cached in ~/.m2 after the first run). */
const classpath = (): string => {
  if (operatorClasspath) return operatorClasspath;
  const dir = mkdtempSync(join(tmpdir(), 'agentbus-cp-'));
  try {
    const out = join(dir, 'classpath');
    const result = spawnSync('mvn', ['-q', '-B', '-f', join(validatorDir, 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${out}`], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`mvn dependency:build-classpath failed: ${result.stdout}${result.stderr || result.error?.message}`);
    operatorClasspath = readFileSync(out, 'utf8').trim();
    return operatorClasspath;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** Problems found binding the rendered YAML into Strimzi's and fabric8's model classes (unknown fields too). */
export const operatorModelProblems = (renderedYaml: string): { problems: string[]; summary: string } => {
  const result = spawnSync('java', ['-cp', classpath(), join(validatorDir, 'StrimziValidator.java')], { input: renderedYaml, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const lines = result.stdout.trim().split('\n').filter(Boolean);
  const summary = lines.pop() ?? '';
  if (!/^checked \d+ objects/.test(summary)) throw new Error(`StrimziValidator did not run: ${result.stderr || result.error?.message}`);
  return { problems: lines, summary };
};
