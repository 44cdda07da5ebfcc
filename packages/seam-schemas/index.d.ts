export { schemas } from '@seamapi/types/connect'
export { SeamHttp as SeamHttpV1 } from 'seam-http-v1'
