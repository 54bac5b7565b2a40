// Types of the parts of swagger-ui-dist (which ships none) that apiref.ts uses.
declare module "swagger-ui-dist/swagger-ui-es-bundle.js" {
  /** A request Swagger UI is about to send ("Try it out", the document's fetch). */
  export interface SwaggerRequest {
    url: string;
    method?: string;
    headers: Record<string, string>;
  }
  /** The options of SwaggerUI() used here (https://swagger.io/docs/open-source-tools/swagger-ui/usage/configuration/). */
  export interface SwaggerUIOptions {
    domNode: HTMLElement;
    url: string;
    deepLinking?: boolean;
    validatorUrl?: string | null;
    docExpansion?: "list" | "full" | "none";
    defaultModelsExpandDepth?: number;
    tryItOutEnabled?: boolean;
    requestInterceptor?: (req: SwaggerRequest) => SwaggerRequest;
    onComplete?: () => void;
  }
  const SwaggerUI: (options: SwaggerUIOptions) => unknown;
  export default SwaggerUI;
}

declare module "swagger-ui-dist/swagger-ui.css";
